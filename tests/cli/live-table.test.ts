import { describe, expect, it } from "vitest";
import { type Row, renderTable } from "../../src/cli/live-table.js";

describe("the live table of listen -k -v", () => {
  it("shows one padded row per connection with bytes in human units, age and state", () => {
    const rows = new Map<number, Row>([
      [1, { peer: "127.0.0.1:5000", since: 0, received: 1536, sent: 10, state: "open" }],
      [
        2,
        { peer: "[::1]:6000", since: 1000, received: 0, sent: 0, state: "closed", closedAt: 4000 },
      ],
    ]);
    expect(renderTable(rows, 65_000)).toBe(
      [
        "#  PEER            IN       OUT   AGE    STATE",
        "1  127.0.0.1:5000  1.5 KiB  10 B  1m05s  open",
        "2  [::1]:6000      0 B      0 B   3s     closed",
        "1 open, 1 recently closed",
        "",
      ].join("\n"),
    );
  });
});
