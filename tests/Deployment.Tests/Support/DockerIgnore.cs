using System.Text;
using System.Text.RegularExpressions;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// .dockerignore as the builder applies it (moby/patternmatcher): paths relative to the context root, `*` and `?`
/// within one path segment, `**` across segments, `!` re-includes, the last matching pattern wins, and a pattern that
/// matches a directory excludes everything under it.
/// </summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules;

    private DockerIgnore(List<(Regex, bool)> rules) => _rules = rules;

    public static DockerIgnore Load() => Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, ".dockerignore")));

    public static DockerIgnore Parse(string text)
    {
        var rules = new List<(Regex, bool)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var exclude = !line.StartsWith('!');
            var pattern = (exclude ? line : line[1..]).Trim().Trim('/');
            rules.Add((new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant), exclude));
        }

        return new DockerIgnore(rules);
    }

    /// <summary>Whether <paramref name="relativePath"/> (with '/' separators) stays out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = relativePath.Replace('\\', '/').Trim('/');
        var candidates = new List<string>();
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            candidates.Add(path[..slash]);
        }

        candidates.Add(path);
        var excluded = false;
        foreach (var (pattern, exclude) in _rules)
        {
            if (candidates.Any(pattern.IsMatch))
            {
                excluded = exclude;
            }
        }

        return excluded;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }
}
