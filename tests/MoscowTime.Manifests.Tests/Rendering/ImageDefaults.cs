namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>
/// What our images set for themselves: the ENV and EXPOSE instructions of a Dockerfile's final
/// stage. The images carry the port and the container paths; the manifests carry the rest.
/// </summary>
internal sealed record ImageDefaults(string Dockerfile, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<int> ExposedPorts)
{
    /// <summary>The Dockerfile that builds the image a manifest names (moscow-time-web → Dockerfile.web).</summary>
    public static ImageDefaults For(string image)
    {
        var name = image.Split(':')[0];
        return name.StartsWith("moscow-time-", StringComparison.Ordinal)
            ? Read($"Dockerfile.{name["moscow-time-".Length..]}")
            : throw new ArgumentException($"{image} is not built from this repository", nameof(image));
    }

    public static ImageDefaults Read(string dockerfile)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var exposed = new List<int>();
        foreach (var instruction in FinalStage(File.ReadAllText(Repository.Path(dockerfile))))
        {
            var (keyword, arguments) = SplitFirst(instruction);
            switch (keyword.ToUpperInvariant())
            {
                case "ENV":
                    foreach (var (key, value) in EnvPairs(arguments))
                    {
                        environment[key] = value;
                    }

                    break;
                case "EXPOSE":
                    exposed.AddRange(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                        .Select(port => int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)));
                    break;
            }
        }

        return new ImageDefaults(dockerfile, environment, exposed);
    }

    /// <summary>Instructions after the last FROM, continuation lines joined, comments dropped.</summary>
    private static List<string> FinalStage(string text)
    {
        var instructions = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && current.Length == 0))
            {
                continue;
            }

            var continues = line.EndsWith('\\');
            current += (continues ? line[..^1] : line) + " ";
            if (!continues)
            {
                instructions.Add(current.Trim());
                current = "";
            }
        }

        var last = instructions.FindLastIndex(i => SplitFirst(i).Keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase));
        return instructions[(last + 1)..];
    }

    private static (string Keyword, string Arguments) SplitFirst(string instruction)
    {
        var space = instruction.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (instruction, "") : (instruction[..space], instruction[(space + 1)..].Trim());
    }

    /// <summary>`ENV a=1 b=2`, or the legacy `ENV a 1`; our Dockerfiles quote nothing.</summary>
    private static IEnumerable<(string Key, string Value)> EnvPairs(string arguments)
    {
        var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!words[0].Contains('=', StringComparison.Ordinal))
        {
            return [(words[0], string.Join(' ', words[1..]))];
        }

        return words.Select(word => word.Split('=', 2)).Select(pair => (pair[0], pair[1]));
    }
}
