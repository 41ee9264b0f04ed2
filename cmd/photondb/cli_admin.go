package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// adminCommands are `photondb admin ...`.
var adminCommands = map[string]cliCommand{
	"compact": {usage: "compact", help: "Compacts the storage, reclaiming the space of deleted and overwritten documents.", run: adminCompact},
	"stats":   {usage: "stats", help: "Shows the server's counters (databases, tables, documents, storage, queries).", run: adminStats},
}

func adminCompact(c *cli, args []string) error {
	fs := c.flags()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	res, err := c.client.Compact(c.ctx)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(res)
	}
	c.printf("compacted, reclaimed %s\n", bytesString(float64(res.ReclaimedBytes)))
	return nil
}

func adminStats(c *cli, args []string) error {
	fs := c.flags()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	st, err := c.client.Stats(c.ctx)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(st.All)
	}
	keys := make([]string, 0, len(st.All))
	for k := range st.All {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([][2]string, 0, len(keys))
	for _, k := range keys {
		kv = append(kv, [2]string{k, statString(k, st.All[k])})
	}
	return c.printFields(kv)
}

// statString formats one counter: sizes in bytes as KiB/MiB too, nested
// values as JSON.
func statString(key string, v any) string {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		switch {
		case err != nil:
			return x.String()
		case strings.HasSuffix(key, "_bytes") && f >= 1024:
			return fmt.Sprintf("%s (%s)", x, bytesString(f))
		case strings.ContainsAny(x.String(), ".eE"):
			return strconv.FormatFloat(f, 'f', 2, 64)
		}
		return x.String()
	case string:
		return x
	case nil:
		return "-"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
