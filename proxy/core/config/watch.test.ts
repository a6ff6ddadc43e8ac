import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "./errors.ts";
import { BASE } from "./testing.ts";
import type { ProxyConfig } from "./types.ts";
import { type WatchConfigOptions, watchConfig } from "./watch.ts";

/** An in-memory file with a watch that the test fires by hand. */
function fakeFile(initial: string) {
  const file = { text: initial, reads: 0, listeners: new Set<() => void>(), closed: 0 };
  const io = {
    readFile: async (path: string) => {
      file.reads++;
      if (path !== "/etc/weir/weir.yaml") throw new Error(`ENOENT: ${path}`);
      if (file.text === "<gone>") throw new Error("ENOENT: no such file or directory");
      return file.text;
    },
    watch: (_path: string, onEvent: () => void) => {
      file.listeners.add(onEvent);
      return {
        close: () => {
          file.listeners.delete(onEvent);
          file.closed++;
        },
      };
    },
  };
  const write = (text: string) => {
    file.text = text;
    for (const fire of file.listeners) fire();
  };
  return { file, io, write };
}

function start(initial: string, extra: Partial<WatchConfigOptions> = {}) {
  const fake = fakeFile(initial);
  const changes: ProxyConfig[] = [];
  const errors: ConfigError[] = [];
  const watcher = watchConfig("/etc/weir/weir.yaml", {
    ...fake.io,
    onChange: (config) => void changes.push(config),
    onError: (error) => void errors.push(error),
    ...extra,
  });
  return { ...fake, changes, errors, watcher };
}

const withDrain = (value: string) => BASE.replace("    port: 15006", `    port: 15006\n    drainTimeout: ${value}`);

describe("watchConfig", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("loads the config and delivers a valid change once, after the debounce", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    expect(watcher.config.listeners[0].drainTimeout).toBe(20_000);
    t.write(withDrain("1s"));
    t.write(withDrain("2s"));
    t.write(withDrain("3s"));
    await vi.advanceTimersByTimeAsync(99);
    expect(t.changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.changes.map((c) => c.listeners[0].drainTimeout)).toEqual([3_000]);
    expect(watcher.config.listeners[0].drainTimeout).toBe(3_000);
    expect(t.file.reads).toBe(2);
  });

  it("keeps the old config serving when the new one is invalid, and recovers", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    const old = watcher.config;
    t.write(withDrain("soon"));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.changes).toEqual([]);
    expect(watcher.config).toBe(old);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0].problems.map((p) => [p.file, p.line, p.path])).toEqual([["/etc/weir/weir.yaml", 4, "listeners[0].drainTimeout"]]);
    expect(watcher.lastError).toBe(t.errors[0]);

    t.write(withDrain("5s"));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.changes.map((c) => c.listeners[0].drainTimeout)).toEqual([5_000]);
    expect(watcher.lastError).toBeUndefined();
  });

  it("keeps the old config when the file disappears", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    t.write("<gone>");
    await vi.advanceTimersByTimeAsync(100);
    expect(t.errors[0].message).toContain("cannot read the config file: ENOENT");
    expect(watcher.config.listeners[0].name).toBe("inbound");
  });

  it("does not call onChange when nothing but comments changed", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    t.write(`# edited\n${BASE}`);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.changes).toEqual([]);
    await expect(watcher.reload()).resolves.toBe(false);
  });

  it("reload() (for SIGHUP) applies a change at once and reports whether it did", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    t.file.text = withDrain("7s"); // no file event
    await expect(watcher.reload()).resolves.toBe(true);
    expect(watcher.config.listeners[0].drainTimeout).toBe(7_000);
    t.file.text = "listeners: nope\n";
    await expect(watcher.reload()).resolves.toBe(false);
    expect(watcher.config.listeners[0].drainTimeout).toBe(7_000);
  });

  it("keeps the old config when onChange rejects the new one", async () => {
    const cause = new Error("filter auth: compile failed");
    const t = start(BASE, {
      onChange: async () => {
        throw cause;
      },
    });
    const watcher = await t.watcher;
    const old = watcher.config;
    t.write(withDrain("1s"));
    await vi.advanceTimersByTimeAsync(100);
    expect(watcher.config).toBe(old);
    expect(t.errors.map((e) => e.message)).toEqual([
      "Invalid config /etc/weir/weir.yaml (1 problem):\n/etc/weir/weir.yaml cannot apply the new config: filter auth: compile failed",
    ]);
    expect(t.errors[0].cause).toBe(cause);
    // The failed config was not adopted, so the same text is tried again next time.
    await expect(watcher.reload()).resolves.toBe(false);
    expect(t.errors).toHaveLength(2);
  });

  it("runs reloads one at a time, in order", async () => {
    const events: string[] = [];
    let text = BASE;
    let release: () => void = () => {};
    const t = start(BASE, {
      readFile: async () => {
        const mine = text;
        events.push(`read ${mine === BASE ? "base" : "new"}`);
        if (mine !== BASE) await new Promise<void>((resolve) => (release = resolve));
        events.push("read done");
        return mine;
      },
    });
    const watcher = await t.watcher;
    text = withDrain("1s");
    const first = watcher.reload();
    const second = watcher.reload();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(["read base", "read done", "read new"]); // the second waits for the first
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([true, false]);
    expect(events).toEqual(["read base", "read done", "read new", "read done", "read new", "read done"]);
    expect(t.changes.map((c) => c.listeners[0].drainTimeout)).toEqual([1_000]);
  });

  it("queues a change seen during the first load behind it", async () => {
    let finishFirstRead: () => void = () => {};
    let reads = 0;
    let text = BASE;
    const t = start(BASE, {
      readFile: async () => {
        const mine = text;
        if (reads++ === 0) await new Promise<void>((resolve) => (finishFirstRead = resolve));
        return mine;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    text = withDrain("1s");
    t.write(text);
    await vi.advanceTimersByTimeAsync(500); // the debounce fires while the first read is still pending
    finishFirstRead();
    const watcher = await t.watcher;
    await vi.advanceTimersByTimeAsync(0);
    expect(t.changes.map((c) => c.listeners[0].drainTimeout)).toEqual([1_000]);
    expect(watcher.config.listeners[0].drainTimeout).toBe(1_000);
  });

  it("throws the first load's ConfigError and stops watching", async () => {
    const t = start("listeners: []\n");
    await expect(t.watcher).rejects.toBeInstanceOf(ConfigError);
    expect(t.file.listeners.size).toBe(0);
    expect(t.file.closed).toBe(1);
  });

  it("ignores events after close()", async () => {
    const t = start(BASE);
    const watcher = await t.watcher;
    t.write(withDrain("1s"));
    watcher.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.changes).toEqual([]);
    expect(t.file.closed).toBe(1);
  });
});
