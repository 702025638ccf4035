using System.Collections;
using System.Reflection;
using System.Runtime.Loader;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// Every configuration key a service binds, derived by reflection over its built assemblies (the service's own and the
/// src/ projects it ships, such as ServiceDefaults and Proxy): each type with a <c>const string Section</c> is an options
/// type bound to that section (<c>AddValidatedOptions&lt;T&gt;(T.Section)</c> is the only way our code binds one), and its
/// settable properties are the keys below it, recursively; arrays and lists take an index. A static class with a
/// <c>Section</c> (AppTierRegistration, WebClusterRegistration) names the section of the one upstream cluster the
/// service registers through src/Proxy, which binds <c>ProxyClusterOptions</c>. A key read straight from IConfiguration
/// would be declared as a constant named <c>...Key</c> holding its path, such as <c>SomeKey = "Section:Name"</c>; none is
/// today, every key binds through an options class.
/// </summary>
internal sealed class OptionKeyCatalog
{
    private const string Index = "{i}";
    private const string AnyName = "{name}";
    private readonly List<string[]> _patterns = [];

    private OptionKeyCatalog(string project) => Project = project;

    public string Project { get; }

    /// <summary>Section name to the options type bound there, e.g. <c>Election</c> to <c>ElectionOptions</c>.</summary>
    public Dictionary<string, string> Sections { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Keys in configuration form, <c>{i}</c> for an index: <c>Election:Peers:{i}</c>.</summary>
    public IEnumerable<string> Keys => _patterns.Select(p => string.Join(':', p));

    /// <summary>Whether the service ships Npgsql, which reads PGPASSWORD (and the other libpq variables) itself.</summary>
    public bool UsesNpgsql { get; private set; }

    public static OptionKeyCatalog ForService(string project)
    {
        var dll = RepoPaths.ServiceDll(project);
        var directory = Path.GetDirectoryName(dll)!;
        var ours = Directory.EnumerateDirectories(Path.Combine(RepoPaths.Root, "src")).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var context = new ServiceLoadContext(dll);
        try
        {
            var assemblies = Directory.EnumerateFiles(directory, "*.dll")
                .Where(f => ours.Contains(Path.GetFileNameWithoutExtension(f)))
                .Select(context.LoadFromAssemblyPath)
                .ToList();
            var catalog = new OptionKeyCatalog(project) { UsesNpgsql = File.Exists(Path.Combine(directory, "Npgsql.dll")) };
            var types = assemblies.SelectMany(LoadableTypes).ToList();
            foreach (var type in types)
            {
                catalog.AddDirectKeys(type);
                if (type.GetField("Section", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is not { IsLiteral: true } field
                    || field.GetRawConstantValue() is not string section)
                {
                    continue;
                }

                var options = type is { IsAbstract: true, IsSealed: true }
                    ? types.SingleOrDefault(t => t.FullName == "Foobar.Proxy.ProxyClusterOptions")
                        ?? throw new InvalidOperationException($"{type.FullName}.Section names a cluster section, but {project} ships no ProxyClusterOptions")
                    : type;
                catalog.Sections[section] = options.Name;
                catalog.AddObject([section], options, depth: 0);
            }

            return catalog;
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Whether <paramref name="key"/> (configuration form, e.g. <c>Election:Peers:0</c>) is bound by the service.</summary>
    public bool Contains(string key)
    {
        var segments = key.Split(':');
        return _patterns.Any(p => p.Length == segments.Length && p.Zip(segments).All(s => Matches(s.First, s.Second)));
    }

    private static bool Matches(string pattern, string segment) =>
        pattern switch
        {
            Index => segment.Length > 0 && segment.All(char.IsAsciiDigit),
            AnyName => segment.Length > 0,
            _ => pattern.Equals(segment, StringComparison.OrdinalIgnoreCase),
        };

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }

    private void AddDirectKeys(Type type)
    {
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        {
            if (field is { IsLiteral: true } && field.Name.EndsWith("Key", StringComparison.Ordinal)
                && field.GetRawConstantValue() is string path && System.Text.RegularExpressions.Regex.IsMatch(path, "^[A-Za-z]+(:[A-Za-z]+)+$"))
            {
                _patterns.Add(path.Split(':'));
            }
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);

    // Binding follows ConfigurationBinder: public properties with a public setter (init counts); a get-only property
    // such as ManagementOptions.Port is computed and never bound.
    private void AddObject(string[] prefix, Type type, int depth)
    {
        if (depth > 8)
        {
            throw new InvalidOperationException($"{string.Join(':', prefix)}: options nest too deep (a cycle?)");
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0)
            {
                AddValue([.. prefix, property.Name], property.PropertyType, depth);
            }
        }
    }

    private void AddValue(string[] key, Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            _patterns.Add(key);
        }
        else if (type.IsArray)
        {
            AddValue([.. key, Index], type.GetElementType()!, depth + 1);
        }
        else if (GenericArgument(type, typeof(IDictionary<,>), 1) is { } value)
        {
            AddValue([.. key, AnyName], value, depth + 1);
        }
        else if (GenericArgument(type, typeof(IEnumerable<>), 0) is { } element)
        {
            AddValue([.. key, Index], element, depth + 1);
        }
        else if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            throw new NotSupportedException($"{string.Join(':', key)}: non-generic collection {type}");
        }
        else
        {
            AddObject(key, type, depth + 1);
        }
    }

    private static Type? GenericArgument(Type type, Type openInterface, int position) =>
        new[] { type }.Concat(type.GetInterfaces())
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition().FullName == openInterface.FullName)
            ?.GetGenericArguments()[position];

    /// <summary>Loads a service's assemblies and its NuGet dependencies beside the test host's shared framework.</summary>
    private sealed class ServiceLoadContext(string mainAssembly) : AssemblyLoadContext($"options of {Path.GetFileName(mainAssembly)}", isCollectible: true)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // Framework assemblies come from the default context, so System.String is the test's System.String.
            if (Default.Assemblies.Any(a => a.GetName().Name == assemblyName.Name))
            {
                return null;
            }

            var path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path is null ? null : LoadFromAssemblyPath(path);
        }
    }
}
