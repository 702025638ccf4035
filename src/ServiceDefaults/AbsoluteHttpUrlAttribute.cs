using System.ComponentModel.DataAnnotations;

namespace Foobar.ServiceDefaults;

/// <summary>Accepts null, empty, or an absolute http/https URL with an explicit port.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AbsoluteHttpUrlAttribute : ValidationAttribute
{
    public AbsoluteHttpUrlAttribute()
        : base("must be an absolute http(s) URL with a port, such as http://127.0.0.1:9301")
    {
    }

    public override bool IsValid(object? value) =>
        value switch
        {
            null => true,
            string { Length: 0 } => true,
            string s => KestrelUrl.TryParse(s, out var uri) && uri.Scheme is "http" or "https" && KestrelUrl.HasExplicitPort(s),
            _ => false,
        };
}
