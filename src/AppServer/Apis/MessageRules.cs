using System.Text;

namespace Foobar.AppServer.Apis;

/// <summary>
/// What a valid post and a valid page request look like. Lengths count Unicode code points after trimming,
/// the same unit as PostgreSQL's varchar(n), so what passes here always fits the column.
/// </summary>
internal static class MessageRules
{
    public const int AuthorMaxLength = 40;
    public const int TextMaxLength = 500;
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    public const int IdempotencyKeyMaxLength = 100;
    public const int MaxBodyBytes = 64 * 1024;

    public static Dictionary<string, string[]> Validate(string? author, string? text, out string cleanAuthor, out string cleanText)
    {
        var errors = new Dictionary<string, string[]>();
        cleanAuthor = (author ?? "").Trim();
        // Line breaks are the one control character a post may hold; \r\n is stored as \n.
        cleanText = (text ?? "").Replace("\r\n", "\n").Trim();
        Check("author", cleanAuthor, AuthorMaxLength, allowNewlines: false, errors);
        Check("text", cleanText, TextMaxLength, allowNewlines: true, errors);
        return errors;
    }

    public static string? ValidateIdempotencyKey(string key) =>
        key.Length is 0 or > IdempotencyKeyMaxLength || key.Any(c => c is < '!' or > '~')
            ? $"must be 1-{IdempotencyKeyMaxLength} visible ASCII characters"
            : null;

    private static void Check(string field, string value, int max, bool allowNewlines, Dictionary<string, string[]> errors)
    {
        var length = value.EnumerateRunes().Count();
        if (length == 0)
        {
            errors[field] = [$"{field} is required"];
        }
        else if (length > max)
        {
            errors[field] = [$"{field} must be at most {max} characters (got {length})"];
        }
        else if (value.EnumerateRunes().Any(r => Rune.IsControl(r) && !(allowNewlines && r.Value == '\n')))
        {
            errors[field] = [$"{field} must not contain control characters"];
        }
    }
}
