using System.Collections.Concurrent;
using System.Globalization;

namespace Intermediary.Simulator.Api;

/// <summary>The demo API's in-memory items, seeded with three.</summary>
internal sealed class ItemStore
{
    private static readonly Item[] Seed =
    [
        new("1", "Widget", 9.99m),
        new("2", "Gadget", 24.50m),
        new("3", "Gizmo", 4.25m),
    ];

    private readonly ConcurrentDictionary<string, Item> _items = new(StringComparer.Ordinal);
    private int _lastId;

    public ItemStore() => Reset();

    // Ids are decimal numbers without leading zeros, so ordering by length then text is numeric order.
    public IReadOnlyList<Item> List() =>
        [.. _items.Values.OrderBy(i => i.Id.Length).ThenBy(i => i.Id, StringComparer.Ordinal)];

    public Item? Find(string id) => _items.GetValueOrDefault(id);

    public Item Add(string name, decimal price)
    {
        var id = Interlocked.Increment(ref _lastId).ToString(CultureInfo.InvariantCulture);
        var item = new Item(id, name, price);
        _items[id] = item;
        return item;
    }

    public void Reset()
    {
        _items.Clear();
        foreach (var item in Seed)
        {
            _items[item.Id] = item;
        }

        Volatile.Write(ref _lastId, Seed.Length);
    }
}
