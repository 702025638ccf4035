using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Foobar.Data;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the app server or reaching a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<FoobarDbContext>
{
    public FoobarDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FoobarDbContext>()
            .UseNpgsql("Host=localhost;Database=foobar")
            .Options);
}
