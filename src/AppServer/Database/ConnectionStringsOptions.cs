using System.ComponentModel.DataAnnotations;

namespace Foobar.AppServer.Database;

/// <summary>The <c>ConnectionStrings</c> section; <c>Foobar</c> is the contract key (environment <c>ConnectionStrings__Foobar</c>).</summary>
internal sealed record ConnectionStringsOptions
{
    public const string Section = "ConnectionStrings";

    [Required(ErrorMessage = "is required: the PostgreSQL connection string, e.g. Host=127.0.0.1;Port=5432;Database=foobar;Username=foobar")]
    public string Foobar { get; init; } = "";
}
