using Hookline.Delivery;
using Hookline.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Delivery;

/// <summary>
/// FairShare's rules on a clock the test moves: 4 slots, slow after 1 s, a troubled webhook's share 2 (and so one start in
/// each eighth of a second, its pace window). Webhooks a and b have been proven (an attempt of each succeeded in time); c is
/// new here.
/// </summary>
public sealed class FairShareRulesTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FairShare _fair;
    private readonly Guid _a = Guid.NewGuid(), _b = Guid.NewGuid(), _c = Guid.NewGuid();

    public FairShareRulesTests()
    {
        _fair = new FairShare(4, TimeSpan.FromSeconds(1), 2, _time);
        foreach (var proven in new[] { _a, _b }) Assert.True(_fair.Finish(_fair.Start(proven), succeeded: true, out _));
    }

    /// <summary>Attempts of webhook a still waiting past the slow threshold, swept: their slots given back, and a troubled.</summary>
    private FairShare.Attempt[] SlowAttemptsOfA(int count)
    {
        var slow = Enumerable.Range(0, count).Select(_ => _fair.Start(_a)).ToArray();
        _time.Advance(TimeSpan.FromSeconds(2));
        _fair.Sweep();
        return slow;
    }

    private static List<ClaimedDelivery> Claim(Guid webhook, int count) =>
    [
        .. Enumerable.Range(1, count).Select(i => new ClaimedDelivery(i, $"msg_{i}", Guid.NewGuid(), "task_added", "{}", 1, 5, 1,
            new WebhookTarget(webhook, Guid.Empty, "https://receiver.example/hook", "custom", null, "none", null, []))),
    ];

    [Fact]
    public void ANewWebhookSendsItsShareUntilAnAttemptSucceedsInTimeThenItMayUseEverySlot()
    {
        Assert.Null(_fair.BeyondFirstShare(null, Claim(_a, 4))); // proven: no limit
        var claimed = Claim(_c, 4);
        var over = _fair.BeyondFirstShare(null, claimed);
        Assert.Equal(claimed.Skip(1), over); // a pace window's worth of its share, the first due first: the rest is parked by the caller
        var first = new List<FairShare.Attempt> { _fair.Start(_c) };
        Assert.Equal(new Dictionary<Guid, int> { [_c] = 0 }, _fair.Rooms()); // claims pass it by for the rest of the window
        Assert.Empty(_fair.ToLetGo());
        Assert.Empty(_fair.ToPark()); // not troubled: nothing known against it
        _time.Advance(FairShare.PaceWindow);
        Assert.Equal(new Dictionary<Guid, int> { [_c] = 1 }, _fair.Rooms()); // the next window
        first.Add(_fair.Start(_c));
        _time.Advance(FairShare.PaceWindow);
        Assert.Equal(new Dictionary<Guid, int> { [_c] = 0 }, _fair.Rooms()); // its share in flight

        Assert.True(_fair.Finish(first[0], succeeded: false, out var wake)); // a failure in time: unproven still, room for one
        Assert.True(wake);
        Assert.Equal(new Dictionary<Guid, int> { [_c] = 1 }, _fair.Rooms());
        Assert.Equal([(_c, 1)], _fair.ToLetGo());
        Assert.True(_fair.Finish(first[1], succeeded: true, out wake)); // in time: proven
        Assert.True(wake);
        Assert.Null(_fair.Rooms());
        Assert.Equal([(_c, Hookline.Storage.DeliveryLimits.AtOnce)], _fair.ToLetGo()); // the rest goes at once
        Assert.Null(_fair.BeyondFirstShare(null, Claim(_c, 4)));
    }

    [Fact]
    public void AHangingNewWebhookHoldsOnlyItsShareThenTheSlowLaneTakesIt()
    {
        Assert.Equal(3, _fair.BeyondFirstShare(null, Claim(_c, 4))!.Count); // one goes in this pace window
        var hanging = new[] { _fair.Start(_c), _fair.Start(_c) };
        var rooms = _fair.Rooms();
        Assert.Equal(0, rooms![_c]);
        Assert.Null(_fair.BeyondFirstShare(rooms, Claim(_c, 1))); // named: the claim parks beyond its room itself
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, _fair.Sweep()); // slow: its slots go back, and now it is troubled
        Assert.Equal([_c], _fair.ToPark());
        Assert.Equal(new Dictionary<Guid, int> { [_c] = 0 }, _fair.Rooms());
        foreach (var a in hanging) Assert.False(_fair.Finish(a, succeeded: false, out _));
    }

    [Fact]
    public void AProvenWebhookStaysProvenForTenMinutesWithoutAttempts()
    {
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Null(_fair.BeyondFirstShare(null, Claim(_a, 4)));
        _time.Advance(TimeSpan.FromMinutes(2));
        _fair.Sweep();
        Assert.Equal(3, _fair.BeyondFirstShare(null, Claim(_a, 4))!.Count); // unproven again: one a pace window
    }

    [Fact]
    public void AnAttemptWaitingPastTheThresholdGivesItsSlotBackAndTroublesItsWebhook()
    {
        var slow = _fair.Start(_a);
        var fast = _fair.Start(_b);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(0, _fair.Sweep());
        Assert.Null(_fair.Rooms());
        Assert.True(_fair.Finish(fast, succeeded: true, out _)); // answered in time: its slot is the caller's to give back

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, _fair.Sweep());
        Assert.Equal(0, _fair.Sweep()); // once
        Assert.Equal(1, _fair.SlowLane);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 1 }, _fair.Rooms()); // share 2, one in flight
        Assert.False(_fair.Finish(slow, succeeded: false, out _)); // its slot was given back already
        Assert.Equal(0, _fair.SlowLane);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 1 }, _fair.Rooms()); // still troubled with nothing in flight: its retries come, at its pace

        Assert.True(_fair.Finish(_fair.Start(_a), succeeded: true, out _));
        Assert.Null(_fair.Rooms()); // a success in time ends the trouble
    }

    [Fact]
    public void ThreeFailuresInARowTroubleAWebhookAndAnySuccessEndsIt()
    {
        for (var i = 0; i < FairShare.FailuresToTrouble - 1; i++) _fair.Finish(_fair.Start(_a), succeeded: false, out _);
        _fair.Finish(_fair.Start(_a), succeeded: true, out _);
        _fair.Finish(_fair.Start(_a), succeeded: false, out _);
        Assert.Null(_fair.Rooms()); // two, a success, one: never three in a row

        var inFlight = Enumerable.Range(0, 3).Select(_ => _fair.Start(_a)).ToList();
        _fair.Finish(_fair.Start(_a), succeeded: false, out _);
        _fair.Finish(_fair.Start(_a), succeeded: false, out _);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 0 }, _fair.Rooms()); // three in flight, over its share of two
        Assert.True(_fair.Finish(inFlight[0], succeeded: true, out _)); // in time: the slot goes back, and the trouble ends
        Assert.Null(_fair.Rooms());
    }

    [Fact]
    public void ATroubledWebhookStartsItsShareOfAttemptsASecondAnEighthAtATime()
    {
        for (var i = 0; i < FairShare.FailuresToTrouble; i++) _fair.Finish(_fair.Start(_a), succeeded: false, out _);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 0 }, _fair.Rooms()); // three started in this pace window, over its one
        _time.Advance(FairShare.PaceWindow);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 1 }, _fair.Rooms()); // a new window

        _fair.Finish(_fair.Start(_a), succeeded: false, out _); // fails at once: its slot is free again ...
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 0 }, _fair.Rooms()); // ... but its start counts for this window
        _time.Advance(FairShare.PaceWindow);
        var inFlight = new[] { _fair.Start(_a), null! };
        _time.Advance(FairShare.PaceWindow);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 1 }, _fair.Rooms());
        inFlight[1] = _fair.Start(_a);
        _time.Advance(FairShare.PaceWindow);
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 0 }, _fair.Rooms()); // a new window, but its share is in flight

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_fair.Finish(inFlight[0], succeeded: true, out _)); // a success, but a slow one: troubled still, failing no more
        Assert.Equal(new Dictionary<Guid, int> { [_a] = 1 }, _fair.Rooms());
        Assert.True(_fair.Finish(_fair.Start(_a), succeeded: true, out _)); // in time: no longer troubled, no limit
        Assert.Null(_fair.Rooms());
    }

    [Fact]
    public void ParkedDeliveriesAreLetGoAsRoomAppearsUntilNoneIsLeft()
    {
        var slow = new[] { _fair.Start(_a), _fair.Start(_a) };
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, _fair.Sweep());
        var rooms = _fair.Rooms();
        Assert.Equal(0, rooms![_a]); // claims pass it by
        _fair.Claimed(rooms, []);
        Assert.Equal([_a], _fair.ToPark()); // its backlog is parked apart
        Assert.Empty(_fair.ToPark()); // one pass at a time
        _fair.BacklogParked(_a, 5);
        Assert.Empty(_fair.ToLetGo()); // no room

        Assert.False(_fair.Finish(slow[0], succeeded: false, out var wake));
        Assert.True(wake); // parked, and room for one now
        var asked = _fair.ToLetGo();
        Assert.Equal([(_a, 1)], asked);
        _fair.LetGo(asked, [1]);
        Assert.Empty(_fair.ToLetGo()); // the one let go counts until a claim takes it
        _fair.Start(_a);
        Assert.Empty(_fair.ToLetGo());

        Assert.False(_fair.Finish(slow[1], succeeded: false, out _));
        Assert.Empty(_fair.ToLetGo()); // room, but one started in this pace window already
        _time.Advance(FairShare.PaceWindow);
        asked = _fair.ToLetGo();
        Assert.Equal([(_a, 1)], asked);
        _fair.LetGo(asked, [0]); // fewer than asked: none is parked any more
        Assert.Empty(_fair.ToLetGo());
    }

    [Fact]
    public void AClaimThatGotLessThanAWebhooksRoomParkedNoneOfIt()
    {
        var slow = SlowAttemptsOfA(1)[0];
        _fair.Finish(slow, succeeded: false, out _);
        var rooms = _fair.Rooms();
        Assert.Equal(1, rooms![_a]);
        Assert.False(_fair.Claimed(rooms, [])); // nothing of it was due: nothing parked, nothing to let go, no hurry to look again
        Assert.Empty(_fair.ToLetGo());
    }

    [Fact]
    public void ATroubledWebhooksBacklogIsLookedForAtMostOnceASecondAndOnlyWhileTroubled()
    {
        Assert.Empty(_fair.ToPark());
        var slow = SlowAttemptsOfA(1)[0];
        Assert.Equal([_a], _fair.ToPark());
        _fair.BacklogParked(_a, 0); // nothing was due: nothing to let go
        Assert.Empty(_fair.ToLetGo());
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Empty(_fair.ToPark());
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal([_a], _fair.ToPark());
        _fair.BacklogParked(_a, 0);

        _fair.Finish(slow, succeeded: false, out _);
        Assert.True(_fair.Finish(_fair.Start(_a), succeeded: true, out _)); // in time: troubled no more
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(_fair.ToPark());
    }

    [Fact]
    public void TheSlowLaneHoldsAtMostAsManyAttemptsAsThereAreSlots()
    {
        for (var i = 0; i < 6; i++) _fair.Start(i % 2 == 0 ? _a : _b);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(4, _fair.Sweep()); // two stay in their slots
        Assert.Equal(4, _fair.SlowLane);
    }

    [Fact]
    public void ALetGoThatNoClaimTookStopsCountingAfterASecond()
    {
        var slow = SlowAttemptsOfA(2);
        _fair.Claimed(_fair.Rooms(), []); // its room was none: claims passed it by, and its backlog was parked apart
        _fair.ToPark();
        _fair.BacklogParked(_a, 2);
        foreach (var a in slow) _fair.Finish(a, succeeded: false, out _);
        _fair.LetGo(_fair.ToLetGo(), [1]); // another node's claim took it, or none yet
        Assert.Empty(_fair.ToLetGo());
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal([(_a, 1)], _fair.ToLetGo());
    }

    [Fact]
    public void AClaimThatTookAWebhooksWholeRoomSaysSo()
    {
        var slow = SlowAttemptsOfA(1)[0];
        _fair.Finish(slow, succeeded: false, out _);
        // Its room (one, this pace window) taken: more of it may go in the next window, which no attempt's end will signal.
        Assert.True(_fair.Claimed(_fair.Rooms(), Claim(_a, 1)));
        Assert.Equal([(_a, 1)], _fair.ToLetGo());
    }

    [Fact]
    public void ABacklogParkedWhileALetGoRunsIsLetGoLater()
    {
        var slow = SlowAttemptsOfA(1)[0];
        _fair.ToPark();
        _fair.BacklogParked(_a, 3);
        _fair.Finish(slow, succeeded: false, out _);
        var asked = _fair.ToLetGo();
        Assert.Equal([(_a, 1)], asked);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([_a], _fair.ToPark()); // a pass over its backlog, beside the let-go, parks two more
        _fair.BacklogParked(_a, 2); // after the let-go's statement looked
        _fair.LetGo(asked, [0]); // which found none parked
        // Parked still: cleared here, they waited out the five minutes of DeliveryLimits.CongestedFallback.
        Assert.Equal([(_a, 1)], _fair.ToLetGo());
    }
}
