using System.Text.Json;
using System.Text.RegularExpressions;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// The subset of the Dockerfile syntax our three Dockerfiles use, parsed the way the builder reads it: comments and
/// parser directives dropped, backslash continuations joined, one instruction per logical line, grouped by stage.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(string name, IReadOnlyList<DockerStage> stages)
    {
        Name = name;
        Stages = stages;
    }

    public static IReadOnlyList<string> All { get; } = ["Dockerfile.app", "Dockerfile.web", "Dockerfile.lb"];

    public string Name { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    /// <summary>The service project the image runs: the .dll named by the final stage's ENTRYPOINT.</summary>
    public string Project => Path.GetFileNameWithoutExtension(Final.ExecForm("ENTRYPOINT").Single(a => a.EndsWith(".dll", StringComparison.Ordinal)));

    public static Dockerfile Load(string name) => Parse(name, File.ReadAllText(Path.Combine(RepoPaths.Root, name)));

    public static Dockerfile Parse(string name, string text)
    {
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string? stageName = null, baseImage = null;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var number = i + 1;
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1].TrimEnd() + " ";
                // Comment lines inside a continuation are removed by the builder too.
                do
                {
                    i++;
                }
                while (i < lines.Length && lines[i].TrimStart().StartsWith('#'));

                line += i < lines.Length ? lines[i].Trim() : "";
            }

            var space = line.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                if (current is not null)
                {
                    stages.Add(new DockerStage(stageName, baseImage!, current));
                }

                var match = FromPattern().Match(arguments);
                baseImage = match.Groups["image"].Value;
                stageName = match.Groups["name"].Success ? match.Groups["name"].Value : null;
                current = [];
                continue;
            }

            (current ?? throw new FormatException($"{name}:{number}: {keyword} before FROM")).Add(new DockerInstruction(keyword, arguments, number));
        }

        if (current is not null)
        {
            stages.Add(new DockerStage(stageName, baseImage!, current));
        }

        return new Dockerfile(name, stages);
    }

    [GeneratedRegex(@"^(--\S+\s+)*(?<image>\S+)(\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();
}

internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

internal sealed record DockerStage(string? Name, string BaseImage, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public IEnumerable<CopyInstruction> Copies => All("COPY").Select(CopyInstruction.Parse);

    /// <summary>The directory of the last WORKDIR (Docker's default is /).</summary>
    public string WorkDir => All("WORKDIR").LastOrDefault()?.Arguments ?? "/";

    /// <summary>Every ENV variable of the stage, later ones overriding earlier ones.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var env in All("ENV"))
            {
                var tokens = env.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (!tokens[0].Contains('=', StringComparison.Ordinal))
                {
                    variables[tokens[0]] = string.Join(' ', tokens[1..]); // the legacy "ENV NAME value" form
                    continue;
                }

                foreach (var token in tokens)
                {
                    var equals = token.IndexOf('=', StringComparison.Ordinal);
                    variables[token[..equals]] = token[(equals + 1)..].Trim('"');
                }
            }

            return variables;
        }
    }

    /// <summary>The JSON exec form of ENTRYPOINT or CMD, or HEALTHCHECK's CMD after its options.</summary>
    public string[] ExecForm(string keyword)
    {
        var instruction = All(keyword).LastOrDefault() ?? throw new InvalidOperationException($"no {keyword}");
        var arguments = instruction.Arguments;
        if (keyword == "HEALTHCHECK")
        {
            var cmd = arguments.IndexOf("CMD ", StringComparison.Ordinal);
            if (cmd < 0)
            {
                throw new FormatException($"line {instruction.Line}: HEALTHCHECK without CMD");
            }

            arguments = arguments[(cmd + 4)..].Trim();
        }

        return arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(arguments)!
            : throw new FormatException($"line {instruction.Line}: {keyword} is not in exec (JSON) form, so it would need a shell: {arguments}");
    }

    /// <summary>HEALTHCHECK options such as --interval=5s.</summary>
    public IReadOnlyDictionary<string, string> HealthcheckOptions =>
        All("HEALTHCHECK").Last().Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .TakeWhile(t => t.StartsWith("--", StringComparison.Ordinal))
            .Select(t => t[2..].Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
}

internal sealed record CopyInstruction(IReadOnlyList<string> Sources, string Destination, string? From, int Line)
{
    public static CopyInstruction Parse(DockerInstruction instruction)
    {
        var tokens = instruction.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList();
        string? from = null;
        while (tokens.Count > 0 && tokens[0].StartsWith("--", StringComparison.Ordinal))
        {
            if (tokens[0].StartsWith("--from=", StringComparison.Ordinal))
            {
                from = tokens[0]["--from=".Length..];
            }

            tokens.RemoveAt(0);
        }

        if (tokens.Count > 0 && tokens[0].StartsWith('['))
        {
            tokens = [.. JsonSerializer.Deserialize<string[]>(string.Join(' ', tokens))!];
        }

        return tokens.Count < 2
            ? throw new FormatException($"line {instruction.Line}: COPY needs a source and a destination")
            : new CopyInstruction(tokens[..^1], tokens[^1], from, instruction.Line);
    }
}
