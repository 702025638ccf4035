using Foobar.Proxy.Health;

namespace Foobar.Proxy.Tests;

public sealed class EjectionBudgetTests
{
    [Theory]
    [InlineData(1, 50, 1)]
    [InlineData(2, 50, 1)]
    [InlineData(3, 50, 1)]
    [InlineData(4, 50, 2)]
    [InlineData(10, 10, 1)]
    [InlineData(10, 100, 10)]
    [InlineData(2, 1, 1)]
    public void Allowed_ShareOfDestinations_AtLeastOne(int destinations, int percent, int expected) =>
        Assert.Equal(expected, EjectionBudget.Allowed(destinations, percent));
}
