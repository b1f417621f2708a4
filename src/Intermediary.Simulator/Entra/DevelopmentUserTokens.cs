using System.Globalization;

namespace Intermediary.Simulator.Entra;

/// <summary>
/// POST /{tenant}/dev/user-token — the simulator's development grant, standing in for a user signing in through a
/// connector: form fields <c>user</c> (a <see cref="SimulatorOptions.Users"/> name, e.g. alice) and optionally
/// <c>lifetime</c> (seconds, 1–86400, default 3600). Answers like the token endpoint, with the user's token for the
/// service (audience <see cref="SimulatorOptions.ClientId"/>, scope access_as_user). Real Entra has no such grant.
/// </summary>
internal sealed class DevelopmentUserTokens(SimulatorOptions options, AccessTokenIssuer issuer, UserDirectory users, EntraErrorWriter errors)
{
    public const string Route = "/{tenant}/dev/user-token";

    public async Task HandleAsync(HttpContext context)
    {
        var tenant = context.GetRouteValue("tenant") as string ?? string.Empty;
        if (!string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            await errors.WriteAsync(context, EntraError.UnknownTenant(tenant));
            return;
        }

        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : FormCollection.Empty;
        var name = form["user"].ToString();
        if (name.Length == 0)
        {
            await errors.WriteAsync(context, EntraError.MissingParameter("user"));
            return;
        }

        if (users.FindByName(name) is not { } user)
        {
            await errors.WriteAsync(context, EntraError.UnknownUser(name, tenant));
            return;
        }

        var lifetimeText = form["lifetime"].ToString();
        var seconds = 3600;
        if (lifetimeText.Length > 0
            && (!int.TryParse(lifetimeText, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > 86_400))
        {
            await errors.WriteAsync(context, EntraError.InvalidLifetime(lifetimeText));
            return;
        }

        context.Response.Headers.CacheControl = "no-store, no-cache";
        await context.Response.WriteAsJsonAsync(
            new TokenResponse("Bearer", seconds, seconds, issuer.IssueForService(user, TimeSpan.FromSeconds(seconds))) { Scope = $"{options.ClientId}/access_as_user" },
            EntraJsonContext.Literal.TokenResponse,
            contentType: null,
            context.RequestAborted);
    }
}
