using Microsoft.EntityFrameworkCore;

namespace Foobar.Data;

/// <summary>
/// The board's database. Schema changes only through migrations:
/// <c>dotnet ef migrations add NAME --project src/Data</c>, applied by <c>AppServer migrate</c>.
/// </summary>
public sealed class FoobarDbContext(DbContextOptions<FoobarDbContext> options) : DbContext(options)
{
    public DbSet<Message> Messages => Set<Message>();

    public DbSet<LikeReceipt> LikeReceipts => Set<LikeReceipt>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FoobarDbContext).Assembly);
}
