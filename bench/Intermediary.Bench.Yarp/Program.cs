using Yarp.ReverseProxy.Configuration;

// YARP in front of the upstream the way a team would put it there to add credentials: one route with the same path
// shape as Intermediary's (/api/call/{upstream}/...), transforms that add the bearer token and APIM subscription key,
// nothing else. Settings (environment): BENCH_UPSTREAM (base URL), BENCH_TOKEN, BENCH_SUBSCRIPTION_KEY; --urls as usual.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var upstream = Required("BENCH_UPSTREAM");
var token = Required("BENCH_TOKEN");
var subscriptionKey = Required("BENCH_SUBSCRIPTION_KEY");

// Route transforms as a team would write them in appsettings: the path after the upstream name, the two headers set.
var route = new RouteConfig
{
    RouteId = "demo",
    ClusterId = "demo",
    Match = new RouteMatch { Path = "/api/call/demo/{**rest}" },
    Transforms =
    [
        new Dictionary<string, string> { ["PathPattern"] = "/{**rest}" },
        new Dictionary<string, string> { ["RequestHeader"] = "Authorization", ["Set"] = $"Bearer {token}" },
        new Dictionary<string, string> { ["RequestHeader"] = "Ocp-Apim-Subscription-Key", ["Set"] = subscriptionKey },
    ],
};
var cluster = new ClusterConfig
{
    ClusterId = "demo",
    Destinations = new Dictionary<string, DestinationConfig> { ["simulator"] = new() { Address = upstream } },
};
builder.Services.AddReverseProxy().LoadFromMemory([route], [cluster]);

var app = builder.Build();
app.MapReverseProxy();
app.Run();

static string Required(string name) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"Set {name}.");
