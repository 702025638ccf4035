using System.ComponentModel.DataAnnotations;

namespace Foobar.ServiceDefaults;

/// <summary>Who this process is. Every log line, response and proxy hop carries the name.</summary>
public sealed record NodeOptions
{
    public const string Section = "Node";

    /// <summary>Node name such as <c>lb-1</c>, <c>web-2</c> or <c>app-1</c>; defaults to the host name.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", ErrorMessage = "must be 1-63 letters, digits, '.', '_' or '-'")]
    public string Name { get; init; } = Environment.MachineName;
}
