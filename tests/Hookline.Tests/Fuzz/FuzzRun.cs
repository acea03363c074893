using FsCheck;
using FsCheck.Fluent;
using Hookline.Tests.Support;
using Microsoft.FSharp.Core;
using Xunit.Abstractions;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// Runs one fuzz property with a fixed seed (HOOKLINE_FUZZ_SEED replaces it), so that any failure replays exactly:
/// FsCheck prints the failing case, and the seed below reproduces the whole run.
/// </summary>
public static class FuzzRun
{
    public const string SeedVariable = "HOOKLINE_FUZZ_SEED";
    private const ulong DefaultSeed = 20_260_131;
    private const ulong Gamma = 0x9E37_79B9_7F4A_7C15; // FsCheck's gamma must be odd; this is SplitMix's golden one

    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out var s) ? s : DefaultSeed;

    /// <summary>
    /// Checks that <paramref name="send"/>'s answer to each case breaks none of the fuzz rules; <paramref name="ci"/> and
    /// <paramref name="full"/> are the case counts (<see cref="TestSize.Pick"/>). Returns the number of cases run.
    /// </summary>
    public static int Check<T>(ITestOutputHelper output, string name, Gen<T> gen, int ci, int full, Func<T, Task<string?>> problemOf)
    {
        var count = TestSize.Pick(ci, full);
        var cases = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var config = Config.QuickThrowOnFailure.WithMaxTest(count).WithName(name).WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(Seed, Gamma), FSharpOption<int>.None)));
        Prop.ForAll(Arb.From(gen), (T value) =>
        {
            cases++;
            // Task.Run: block on the request without xunit's synchronization context in the way.
            var problem = Task.Run(() => problemOf(value)).GetAwaiter().GetResult();
            if (problem is not null)
                throw new Xunit.Sdk.XunitException($"{name}: {problem}\n  case: {value}\n  replay with {SeedVariable}={Seed}");
        }).Check(config);
        output.WriteLine($"fuzz {name}: {cases} cases in {started.Elapsed.TotalSeconds:F1} s, seed {Seed}");
        return cases;
    }

    /// <summary>Sends one request and says what, if anything, is wrong with the answer.</summary>
    public static async Task<string?> ProblemAsync(this FuzzApp app, FuzzRequest request) =>
        (await app.SendAsync(request)).Problem(request.MustBeRefused);
}
