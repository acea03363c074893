namespace Hookline.Delivery;

/// <summary>
/// Keeps one webhook's troubled receiver from holding a node's delivery slots or its queue. An attempt still waiting for its
/// receiver after <see cref="DeliveryOptions.SlowAfter"/> gives its slot back and goes on in the slow lane (at most
/// <see cref="DeliveryOptions.Concurrency"/> attempts there). Its webhook is then troubled, as is one whose last
/// <see cref="FailuresToTrouble"/> attempts here failed, until an attempt succeeds in time again; a troubled webhook may have at
/// most <see cref="DeliveryOptions.SlowShare"/> attempts in flight on this node, and start at most as many a second, an eighth
/// of them in each eighth (<see cref="PaceWindow"/>): a claim parks what it takes for it beyond that,
/// so that its backlog does not stand in front of others' deliveries, and as its attempts finish, its parked deliveries are let
/// go again, as many as its share has room for. A webhook whose receiver answered in time lately (proven, here) may use every
/// slot; one not proven yet gets its share until it is, so that a receiver nothing is known about, which may hang, never holds
/// every slot while the sweep has yet to find it slow.
/// </summary>
public sealed class FairShare(int concurrency, TimeSpan slowAfter, int share, TimeProvider time)
{
    /// <summary>How long a let-go delivery counts against its webhook's room before a claim has taken it (here or elsewhere).</summary>
    private static readonly TimeSpan LetGoCounts = TimeSpan.FromSeconds(1);

    /// <summary>Failed attempts in a row, here, that make a webhook troubled.</summary>
    public const int FailuresToTrouble = 3;

    /// <summary>
    /// A troubled or unproven webhook starts at most its share of attempts a second, an eighth of it in each eighth of a second:
    /// 64 attempts started together to a receiver that hangs time out together, and 64 cancelled requests, their results and 64
    /// new connections at one moment made the other webhooks' slowest deliveries (the bench's noisy workload).
    /// </summary>
    public static readonly TimeSpan PaceWindow = TimeSpan.FromSeconds(1) / PaceSteps;

    private const int PaceSteps = 8;

    /// <summary>How many attempts of a troubled or unproven webhook may start in one <see cref="PaceWindow"/>.</summary>
    private readonly int _paceQuota = Math.Max(1, (share + PaceSteps - 1) / PaceSteps);

    /// <summary>How often a troubled webhook's due backlog is looked for and parked.</summary>
    private static readonly TimeSpan ParkEvery = TimeSpan.FromSeconds(1);

    /// <summary>How long a troubled webhook with nothing in flight stays troubled: long enough for its retries to come due.</summary>
    private static readonly TimeSpan TroubleMemory = TimeSpan.FromMinutes(10);

    /// <summary>How long a webhook whose receiver answered in time stays proven here, in flight or not.</summary>
    private static readonly TimeSpan ProvenMemory = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private readonly HashSet<Attempt> _live = [];
    private readonly Dictionary<Guid, Webhook> _webhooks = [];
    private readonly Dictionary<Guid, long> _proven = []; // when an attempt of the webhook last succeeded in time
    private long _provenPrunedAt;
    private readonly SemaphoreSlim _busy = new(0, 1);
    private int _slow;

    /// <summary>One attempt in flight, holding a slot until it is moved to the slow lane.</summary>
    public sealed class Attempt(Guid webhookId, long started)
    {
        internal Guid WebhookId { get; } = webhookId;
        internal long Started { get; } = started;
        internal bool InSlowLane { get; set; }

        /// <summary>
        /// Sent over connections apart from those of proven receivers: its webhook was troubled or not proven here when it
        /// started. Webhooks on one host share their connections otherwise, and a troubled one's attempts, started together as
        /// its hanging ones time out together, would take the idle connections and leave the others waiting for new ones.
        /// </summary>
        public bool Apart { get; internal set; }
    }

    private sealed class Webhook
    {
        public int InFlight, LetGo, Failures, StartedInWindow;
        public bool Troubled, Parked, Parking;
        public long LetGoAt, TroubledAt, WindowAt, ParkedAt;

        /// <summary>
        /// Counts the times <see cref="Parked"/> was set, and what it was when <see cref="ToLetGo"/> asked: a let-go that found
        /// fewer than it asked for clears <see cref="Parked"/> only if nothing was parked since (a backlog pass running beside it).
        /// </summary>
        public int ParkedMarks, MarksAtAsk;

        public void MarkParked() => (Parked, ParkedMarks) = (true, ParkedMarks + 1);

        /// <summary>Nothing to remember but perhaps a failure or two, which a sweep forgets.</summary>
        public bool Quiet => InFlight == 0 && !Troubled && !Parked && !Parking && LetGo == 0;

        /// <summary>Nothing to remember at all.</summary>
        public bool Done => Quiet && Failures == 0;
    }

    /// <summary>Attempts in the slow lane now, across webhooks.</summary>
    public int SlowLane { get { lock (_lock) return _slow; } }

    /// <summary>Completes once an attempt is in flight: an idle node's sweep sleeps.</summary>
    public Task WhenBusyAsync(CancellationToken ct)
    {
        lock (_lock) if (_live.Count > 0) return Task.CompletedTask;
        return _busy.WaitAsync(ct);
    }

    public Attempt Start(Guid webhookId)
    {
        var attempt = new Attempt(webhookId, time.GetTimestamp());
        lock (_lock)
        {
            _live.Add(attempt);
            if (_live.Count == 1 && _busy.CurrentCount == 0) _busy.Release();
            var w = Of(webhookId);
            attempt.Apart = w.Troubled || !Proven(webhookId);
            w.InFlight++;
            if (time.GetElapsedTime(w.WindowAt) >= PaceWindow) (w.WindowAt, w.StartedInWindow) = (time.GetTimestamp(), 0);
            w.StartedInWindow++;
            if (w.LetGo > 0) w.LetGo--;
        }
        return attempt;
    }

    /// <summary>
    /// The attempt is done, <paramref name="succeeded"/> or not. True when it still held its slot (the caller gives it back);
    /// false when it was in the slow lane. <paramref name="wake"/> is true when its webhook has deliveries parked and room for them now.
    /// </summary>
    public bool Finish(Attempt attempt, bool succeeded, out bool wake)
    {
        lock (_lock)
        {
            _live.Remove(attempt);
            var w = _webhooks[attempt.WebhookId];
            w.InFlight--;
            if (attempt.InSlowLane) _slow--;
            w.Failures = succeeded ? 0 : w.Failures + 1;
            if (succeeded && !attempt.InSlowLane && time.GetElapsedTime(attempt.Started) < slowAfter) // in time: untroubled, proven
                (w.Troubled, _proven[attempt.WebhookId]) = (false, time.GetTimestamp());
            else if (w.Failures >= FailuresToTrouble) (w.Troubled, w.TroubledAt) = (true, time.GetTimestamp());
            wake = w.Parked && (!w.Troubled && Proven(attempt.WebhookId) || LetGoRoom(w) > 0);
            if (w.Done) _webhooks.Remove(attempt.WebhookId);
            return !attempt.InSlowLane;
        }
    }

    /// <summary>Moves attempts waiting longer than the slow threshold to the slow lane; how many slots that freed.</summary>
    public int Sweep()
    {
        var now = time.GetTimestamp();
        var freed = 0;
        lock (_lock)
        {
            foreach (var a in _live)
            {
                if (_slow >= concurrency) break;
                if (a.InSlowLane || time.GetElapsedTime(a.Started, now) < slowAfter) continue;
                a.InSlowLane = true;
                _webhooks[a.WebhookId].Troubled = true;
                _slow++;
                freed++;
            }
            if (time.GetElapsedTime(_provenPrunedAt, now) > ProvenMemory / 10)
            {
                foreach (var (id, at) in _proven) if (time.GetElapsedTime(at, now) > ProvenMemory) _proven.Remove(id);
                _provenPrunedAt = now;
            }
            foreach (var (id, w) in _webhooks)
            {
                if (w.InFlight > 0 && w.Troubled) w.TroubledAt = now;
                else if (w.Troubled && time.GetElapsedTime(w.TroubledAt, now) > TroubleMemory) w.Troubled = false;
                if (w.Quiet) _webhooks.Remove(id);
            }
        }
        return freed;
    }

    /// <summary>
    /// For a claim: each troubled or not yet proven webhook with attempts here, and how many more of its deliveries may go now
    /// (what the claim takes beyond that is parked); webhooks not named have no limit here but <see cref="BeyondFirstShare"/>.
    /// Null when none is named.
    /// </summary>
    public IReadOnlyDictionary<Guid, int>? Rooms()
    {
        lock (_lock)
        {
            Dictionary<Guid, int>? rooms = null;
            foreach (var (id, w) in _webhooks)
            {
                if (!w.Troubled && Proven(id)) continue;
                (rooms ??= [])[id] = Math.Max(0, Room(w));
            }
            return rooms;
        }
    }

    /// <summary>
    /// What a claim took, beyond their share, for webhooks that <paramref name="rooms"/> did not name and that are not proven here:
    /// the caller parks those, and they are let go as the webhook's attempts finish (all at once when one succeeds in time).
    /// Null when there are none, as for a claim of proven webhooks only.
    /// </summary>
    public List<Storage.ClaimedDelivery>? BeyondFirstShare(IReadOnlyDictionary<Guid, int>? rooms, IReadOnlyList<Storage.ClaimedDelivery> claimed)
    {
        lock (_lock)
        {
            List<Storage.ClaimedDelivery>? over = null;
            Dictionary<Guid, int>? taken = null;
            foreach (var delivery in claimed)
            {
                var id = delivery.Target.Id;
                if (rooms?.ContainsKey(id) == true || Proven(id)) continue;
                var n = (taken ??= [])[id] = taken.GetValueOrDefault(id) + 1;
                if (n <= (_webhooks.TryGetValue(id, out var w) ? Room(w) : _paceQuota)) continue;
                (over ??= []).Add(delivery);
                Of(id).MarkParked();
            }
            return over;
        }
    }

    /// <summary>
    /// What a claim given <paramref name="rooms"/> returned: a webhook that got as many as its room may have had more parked
    /// (letting go finds out); one that got fewer had none, and one without room was passed by. True when a webhook got its
    /// whole room: more of it may go in its next <see cref="PaceWindow"/>, which no attempt's end signals.
    /// </summary>
    public bool Claimed(IReadOnlyDictionary<Guid, int>? rooms, IReadOnlyList<Storage.ClaimedDelivery> claimed)
    {
        if (rooms is null) return false;
        var full = false;
        lock (_lock)
            foreach (var (id, room) in rooms)
                if (room > 0 && claimed.Count(d => d.Target.Id == id) >= room)
                {
                    Of(id).MarkParked();
                    full = true;
                }
        return full;
    }

    /// <summary>Troubled webhooks whose due backlog to park now: each at most once per second, and not while a pass for it runs.</summary>
    public IReadOnlyList<Guid> ToPark()
    {
        lock (_lock)
        {
            List<Guid>? list = null;
            foreach (var (id, w) in _webhooks)
                if (w.Troubled && !w.Parking && time.GetElapsedTime(w.ParkedAt) >= ParkEvery) (list ??= []).Add(id);
            foreach (var id in list ?? []) _webhooks[id].Parking = true;
            return list ?? [];
        }
    }

    /// <summary>A pass over the webhook's due backlog (<see cref="ToPark"/>) is done; it parked <paramref name="parked"/>.</summary>
    public void BacklogParked(Guid webhookId, int parked)
    {
        lock (_lock)
        {
            var w = Of(webhookId);
            (w.Parking, w.ParkedAt) = (false, time.GetTimestamp());
            if (parked > 0) w.MarkParked();
            if (w.Done) _webhooks.Remove(webhookId);
        }
    }

    /// <summary>
    /// Webhooks with deliveries parked by this node and room for some: how many of each to let go (as many as a statement
    /// lets go at once for a webhook that is troubled no more).
    /// </summary>
    public IReadOnlyList<(Guid WebhookId, int Count)> ToLetGo()
    {
        lock (_lock)
        {
            List<(Guid, int)>? list = null;
            foreach (var (id, w) in _webhooks)
                if (w.Parked && (w.Troubled || !Proven(id) ? LetGoRoom(w) : Storage.DeliveryLimits.AtOnce) is > 0 and var room)
                {
                    (list ??= []).Add((id, room));
                    w.MarksAtAsk = w.ParkedMarks;
                }
            return list ?? [];
        }
    }

    /// <summary>
    /// What <see cref="ToLetGo"/> asked for was let go, <paramref name="released"/> of each; fewer means none is parked now, unless
    /// some was parked since it asked (a backlog pass beside the let-go): then the next let-go looks again. Cleared regardless,
    /// the webhook's parked deliveries waited out <see cref="Storage.DeliveryLimits.CongestedFallback"/> (five minutes).
    /// </summary>
    public void LetGo(IReadOnlyList<(Guid WebhookId, int Count)> asked, IReadOnlyList<int> released)
    {
        var now = time.GetTimestamp();
        lock (_lock)
            for (var i = 0; i < asked.Count; i++)
            {
                var w = Of(asked[i].WebhookId);
                (w.LetGo, w.LetGoAt) = (released[i], now);
                if (released[i] < asked[i].Count && w.ParkedMarks == w.MarksAtAsk) w.Parked = false;
                if (w.Done) _webhooks.Remove(asked[i].WebhookId);
            }
    }

    /// <summary>Room to let parked deliveries go: <see cref="Room"/>, less what was let go but not yet claimed.</summary>
    private int LetGoRoom(Webhook w)
    {
        if (w.LetGo > 0 && time.GetElapsedTime(w.LetGoAt) > LetGoCounts) w.LetGo = 0;
        return Room(w) - w.LetGo;
    }

    /// <summary>
    /// How many more attempts a troubled or unproven webhook may start now: its share, less those in flight, and no more than
    /// its pace allows in this <see cref="PaceWindow"/>.
    /// </summary>
    private int Room(Webhook w)
    {
        var paced = time.GetElapsedTime(w.WindowAt) < PaceWindow ? _paceQuota - w.StartedInWindow : _paceQuota;
        return Math.Min(share - w.InFlight, paced);
    }

    private bool Proven(Guid id) => _proven.TryGetValue(id, out var at) && time.GetElapsedTime(at) < ProvenMemory;

    private Webhook Of(Guid id) => _webhooks.TryGetValue(id, out var w) ? w : _webhooks[id] = new Webhook();
}
