using System.Security.Cryptography;
using System.Text;

namespace Intermediary.Simulator.Hosting;

internal static class Secret
{
    /// <summary>Constant-time comparison, so response timing does not leak how much of a secret was right.</summary>
    public static bool Matches(string? presented, string? expected) =>
        !string.IsNullOrEmpty(presented)
        && !string.IsNullOrEmpty(expected)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
