using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Hookline.Tests.Support.PostgresSuites", "Hookline.Tests")]

namespace Hookline.Tests.Support;

/// <summary>
/// xunit's own test framework plus the one thing xunit v2 lacks: skipping a whole test class. The store contract
/// suite's [Fact]s are shared by the SQLite and the PostgreSQL class, so only the class can say that it needs the
/// server; its tests are skipped like <see cref="PostgresFactAttribute"/>'s when none is configured.
/// </summary>
public sealed class PostgresSuites(IMessageSink sink) : XunitTestFramework(sink)
{
    /// <summary>The classes every test of which needs the PostgreSQL server.</summary>
    private static readonly Type[] Classes =
        [typeof(Storage.PostgresStoreContractTests), typeof(Auth.SharedRateLimitCounterTests), typeof(Portal.PostgresPortalBrowserTests)];

    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assembly) =>
        new Discoverer(assembly, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider source, IMessageSink sink)
        : XunitTestFrameworkDiscoverer(assembly, source, sink)
    {
        protected override bool FindTestsForMethod(ITestMethod method, bool includeSourceInformation, IMessageBus bus,
            ITestFrameworkDiscoveryOptions options)
        {
            if (PostgresTests.SkipReason is null || !Classes.Contains(method.TestClass.Class.ToRuntimeType())
                || !method.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
                return base.FindTestsForMethod(method, includeSourceInformation, bus, options);
            var skipped = new SkippedPostgresTestCase(DiagnosticMessageSink, options.MethodDisplayOrDefault(),
                options.MethodDisplayOptionsOrDefault(), method);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, bus);
        }
    }
}

/// <summary>A test of a class that needs PostgreSQL, found where no server is configured: one skipped case.</summary>
public sealed class SkippedPostgresTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer only")]
    public SkippedPostgresTestCase() { }

    public SkippedPostgresTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions,
        ITestMethod method) : base(sink, display, displayOptions, method) { }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => PostgresTests.NotConfigured;
}
