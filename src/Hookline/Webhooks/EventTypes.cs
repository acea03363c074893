namespace Hookline.Webhooks;

/// <summary>The events a webhook can subscribe to, per receiver type.</summary>
public static class EventTypes
{
    /// <summary>
    /// Hookline's own events about a workspace's webhooks (Delivery/OperationalEvents.cs): published by Hookline, never by a
    /// producer, and never delivered to the webhook they are about.
    /// </summary>
    public static readonly IReadOnlyList<string> Operational = ["webhook_failing", "webhook_paused", "webhook_recovered", "delivery_exhausted"];

    /// <summary>awork's current event names: what a producer publishes.</summary>
    public static readonly IReadOnlyList<string> Published =
    [
        "absence_added", "absence_deleted", "absence_updated",
        "company_added", "company_deleted", "company_type_changed", "company_updated",
        "project_added", "project_comment_added", "project_deleted", "projectmember_added", "projectmember_deleted",
        "project_status_changed", "project_type_changed", "project_updated",
        "task_added", "taskassignment_added", "taskassignment_deleted", "task_comment_added", "task_deleted",
        "tasklist_added", "tasklist_deleted", "tasklist_updated",
        "task_status_changed", "task_type_changed", "task_updated",
        "timetracking_added", "timetracking_deleted", "timetracking_type_changed", "timetracking_updated",
        "user_activation_changed", "user_added", "user_deleted", "user_status_changed", "user_updated",
    ];

    /// <summary>What custom receivers can subscribe to: awork's events and the operational ones.</summary>
    public static readonly IReadOnlyList<string> Custom = [.. Published, .. Operational];

    /// <summary>
    /// The events that read well as a chat message: something was added, commented on, assigned or moved to
    /// another status. Generic <c>*_updated</c>, <c>*_deleted</c> and type changes are left out: in a channel they
    /// are noise without a diff a person can read. And the operational events, written for a channel that watches the webhooks.
    /// </summary>
    public static readonly IReadOnlyList<string> Slack =
    [
        "absence_added", "company_added", "project_added", "project_comment_added", "project_status_changed",
        "projectmember_added", "task_added", "task_comment_added", "task_status_changed", "taskassignment_added",
        "user_added", .. Operational,
    ];

    /// <summary>A receiver type's catalogue: chat receivers (Slack, Teams, Discord) get the events that read well as a message.</summary>
    public static IReadOnlyList<string> For(string receiverType) => ReceiverTypes.IsChat(receiverType) ? Slack : Custom;
}
