namespace Hookline.Tests.Support;

/// <summary>
/// Tests that time rates or latencies, or start several Hookline processes, run after the parallel test classes with
/// nothing else of the suite beside them: on two cores they would measure the suite, and starve its browser tests.
/// </summary>
[CollectionDefinition(nameof(AloneOnTheMachine), DisableParallelization = true)]
public sealed class AloneOnTheMachine;
