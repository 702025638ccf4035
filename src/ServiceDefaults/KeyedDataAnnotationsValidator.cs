using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Data-annotation validation whose failures name the configuration key (<c>Node:Name: ...</c>),
/// so that an operator reading the one-line refusal knows exactly what to fix.
/// Nested option objects and lists of them are validated too, with their paths.
/// </summary>
internal sealed class KeyedDataAnnotationsValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new List<string>();
        Collect(options, section, failures, depth: 0);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(object instance, string path, List<string> failures, int depth)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        foreach (var result in results)
        {
            foreach (var member in result.MemberNames.DefaultIfEmpty(""))
            {
                failures.Add($"{path}:{member}: {Describe(result.ErrorMessage, member)}");
            }
        }

        if (depth > 3)
        {
            return;
        }

        foreach (var property in instance.GetType().GetProperties())
        {
            if (property.GetIndexParameters().Length > 0 || property.PropertyType.IsPrimitive || property.PropertyType == typeof(string))
            {
                continue;
            }

            var value = property.GetValue(instance);
            if (value is System.Collections.IEnumerable items and not string)
            {
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null && IsOptionsObject(item.GetType()))
                    {
                        Collect(item, $"{path}:{property.Name}:{index}", failures, depth + 1);
                    }

                    index++;
                }
            }
            else if (value is not null && IsOptionsObject(value.GetType()))
            {
                Collect(value, $"{path}:{property.Name}", failures, depth + 1);
            }
        }
    }

    private static bool IsOptionsObject(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Foobar", StringComparison.Ordinal) == true;

    // DataAnnotations messages start with "The field X ..." or "The X field ..."; keep them, they read fine after the key.
    private static string Describe(string? message, string member) =>
        string.IsNullOrEmpty(message) ? $"{member} is invalid" : message;
}
