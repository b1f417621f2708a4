using Microsoft.Extensions.Options;

namespace Intermediary.Configuration;

/// <summary>For hosts that check caller keys themselves: at least one key, so the endpoints are never open by accident.</summary>
internal sealed class FunctionKeysValidator : IValidateOptions<IntermediaryOptions>
{
    public ValidateOptionsResult Validate(string? name, IntermediaryOptions options)
    {
        var prefix = $"{IntermediaryOptions.SectionName}:FunctionKeys";
        if (options.FunctionKeys.Count == 0)
        {
            return ValidateOptionsResult.Fail($"{prefix} has no keys: set at least one, e.g. {prefix}:default (environment variable Intermediary__FunctionKeys__default).");
        }

        var blank = options.FunctionKeys.Where(pair => string.IsNullOrWhiteSpace(pair.Value)).Select(pair => $"{prefix}:{pair.Key} is empty.").ToList();
        return blank.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(blank);
    }
}
