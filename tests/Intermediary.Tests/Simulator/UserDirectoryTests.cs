using Intermediary.Simulator;
using Intermediary.Simulator.Entra;

namespace Intermediary.Tests.Simulator;

/// <summary>
/// The simulated tenant's refresh tokens against revocation, at the one moment no HTTP test can pick: a refresh that
/// has redeemed its token but not yet issued the rotated one when the user's sessions are revoked.
/// </summary>
public sealed class UserDirectoryTests
{
    private readonly SimulatorOptions _options = new();

    [Fact]
    public void A_refresh_token_rotated_while_the_sessions_were_revoked_is_revoked_too()
    {
        var users = new UserDirectory(_options);
        var alice = User("alice");
        var redeemed = users.Redeem(users.IssueRefreshToken(alice, "client", "scope"), "client")!;

        users.RevokeSessions(alice);
        var rotated = users.IssueRefreshToken(alice, "client", "scope", redeemed);

        Assert.Null(users.Redeem(rotated, "client"));
    }

    [Fact]
    public void Sessions_started_after_a_revocation_and_other_users_sessions_keep_working()
    {
        var users = new UserDirectory(_options);
        var alice = User("alice");
        var bob = User("bob");
        var bobs = users.IssueRefreshToken(bob, "client", "scope");

        users.RevokeSessions(alice);
        var signedInAgain = users.Redeem(users.IssueRefreshToken(alice, "client", "scope"), "client")!;
        var rotated = users.IssueRefreshToken(alice, "client", "scope", signedInAgain);

        Assert.NotNull(users.Redeem(rotated, "client"));
        Assert.NotNull(users.Redeem(bobs, "client"));
    }

    private SimulatedUser User(string name) => _options.Users.Single(u => u.Name == name);
}
