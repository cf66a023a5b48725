/**
 * The jail: the one function that turns a user's path into a path on disk
 * (resolveVirtual), as a table and as properties over hostile inputs, and the
 * link check on the real disk (confineRealPath) with links planted in a space, and
 * the check of an opened file by where its descriptor leads (descriptorInside).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, open, realpath, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, resolve, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { confineRealPath, descriptorInside, resolveVirtual, type JailedPath } from "../../src/core/files/jail.js";

const ROOT = "/srv/data/files/alice";

function virtualOf(cwd: string, input: string): string {
  const result = resolveVirtual(ROOT, cwd, input);
  assert.equal(typeof result, "object", `${JSON.stringify(input)} from ${cwd} was refused: ${String(result)}`);
  return (result as JailedPath).virtual;
}

describe("resolveVirtual: the resolution table", () => {
  const table: ReadonlyArray<readonly [cwd: string, input: string, virtual: string]> = [
    ["/", "a.txt", "/a.txt"],
    ["/", ".", "/"],
    ["/", "", "/"],
    ["/docs", "", "/docs"],
    ["/docs", "a.txt", "/docs/a.txt"],
    ["/docs", "./a.txt", "/docs/a.txt"],
    ["/docs/sub", "..", "/docs"],
    ["/docs/sub", "../..", "/"],
    ["/docs/sub", "../../../../..", "/"],
    ["/", "..", "/"],
    ["/", "/..", "/"],
    ["/", "/../..", "/"],
    ["/", "../../etc/passwd", "/etc/passwd"],
    ["/docs", "../../../etc/passwd", "/etc/passwd"],
    ["/docs", "/etc/passwd", "/etc/passwd"],
    ["/", "a/../../b", "/b"],
    ["/", "a//b///", "/a/b"],
    ["/", "/a/./b/./", "/a/b"],
    ["/", "...", "/..."],
    ["/", "..a", "/..a"],
    ["/", "a..", "/a.."],
    // Backslashes and percent-encoding are ordinary characters on this filesystem: never decoded.
    ["/", "..\\..\\etc\\passwd", "/..\\..\\etc\\passwd"],
    ["/", "\\..\\..", "/\\..\\.."],
    ["/", "%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"],
    ["/", "%2e%2e%2f%2e%2e%2fetc", "/%2e%2e%2f%2e%2e%2fetc"],
    ["/", "..%2f..%2fetc", "/..%2f..%2fetc"],
    ["/", "%252e%252e", "/%252e%252e"],
    // Unicode look-alikes of "..": not dots, so ordinary names (NFC leaves them alone).
    ["/", "．．/．．/etc", "/．．/．．/etc"],
    ["/", "‥/‥/etc", "/‥/‥/etc"],
    ["/", "\u2024\u2024/x", "/\u2024\u2024/x"],
    ["/", "\uFE52\uFE52", "/\uFE52\uFE52"],
    // One name, one spelling: decomposed forms become NFC.
    ["/", "cafe\u0301.txt", "/caf\u00e9.txt"],
    ["/", "~", "/~"],
    ["/", "~root", "/~root"],
  ];
  for (const [cwd, input, virtual] of table) {
    test(`${JSON.stringify(input)} from ${cwd} → ${virtual}`, () => {
      const result = resolveVirtual(ROOT, cwd, input) as JailedPath;
      assert.equal(result.virtual, virtual);
      assert.equal(result.real, virtual === "/" ? ROOT : ROOT + virtual.split("/").join(sep));
    });
  }

  const refused: ReadonlyArray<readonly [input: string, why: string]> = [
    ["a\u0000b", "NUL"],
    ["../../etc/passwd\u0000.txt", "NUL after a traversal"],
    ["\u0000", "NUL alone"],
    ["a\r\nDELE x", "CR LF (reply forging)"],
    ["a\nb", "LF"],
    ["a\tb", "tab"],
    ["a\u007fb", "DEL"],
    ["\u001b[31m", "escape"],
  ];
  for (const [input, why] of refused) {
    test(`${why} is refused as invalid-name`, () => {
      assert.equal(resolveVirtual(ROOT, "/", input), "invalid-name");
    });
  }

  test("a name of the server's temporary uploads, where the normalised path keeps it, is refused as reserved-name", () => {
    for (const input of [".upload-0123456789abcdef", "docs/.upload-0123456789abcdef", "/docs/.notes.txt.upload-0123456789ab/x.txt", "a/../.upload-0123456789abcdef", ".upload-0123456789abcdef/."]) {
      assert.equal(resolveVirtual(ROOT, "/", input), "reserved-name", input);
    }
    // From a working directory that is itself such a name (the name comes from the cwd, not the input).
    assert.equal(resolveVirtual(ROOT, "/.upload-0123456789abcdef", "a.txt"), "reserved-name");
    // Control characters are refused for what they are, whatever the names.
    assert.equal(resolveVirtual(ROOT, "/", ".upload-0123456789abcdef/a\u0001b"), "invalid-name");
  });

  test("a temporary upload's name that the path climbs back out of is no part of it: accepted as where it leads", () => {
    assert.equal(virtualOf("/", "x/.upload-0123456789abcdef/.."), "/x");
    assert.equal(virtualOf("/", "/.notes.upload-0123456789ab/../y.txt"), "/y.txt");
    // Names like them but not them are ordinary names.
    assert.equal(virtualOf("/", ".upload-0123456789ABCDEF"), "/.upload-0123456789ABCDEF");
    assert.equal(virtualOf("/", "upload-0123456789abcdef"), "/upload-0123456789abcdef");
  });

  test("a 10 000-character segment is a name like any other (the filesystem refuses it later)", () => {
    const long = "a".repeat(10_000);
    assert.equal(virtualOf("/", `../${long}/..`), "/");
    assert.equal(virtualOf("/", long), `/${long}`);
  });
});

// ── properties ───────────────────────────────────────────────────────────────

const FRAGMENTS = [
  "..", ".", "/", "//", "\\", "\\..", "..\\", "%2e", "%2e%2e", "%2f", "%5c", "%00", "\u0000", "．．", "‥", "\u2024", "\uFE52", "．",
  "etc", "passwd", "a", "b", "~", " ", "...", "\u0301", "e\u0301", "\u00e9", "\uFF0F", "\u2215", "\u29F8", "/..", "../", "./", "C:", "C:\\",
];

const fragment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => "x".repeat(n)) },
);
const hostilePath = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(""));

/** The real path, as the kernel would read it, stays in the root. */
function staysInside(root: string, real: string): boolean {
  const normal = resolve(real);
  return normal === root || normal.startsWith(root + sep);
}

describe("resolveVirtual: properties (fast-check)", () => {
  test("no input, from any working directory, resolves outside the root", () => {
    fc.assert(
      fc.property(hostilePath, hostilePath, (cwdInput, input) => {
        const cwd = resolveVirtual(ROOT, "/", cwdInput);
        const from = typeof cwd === "string" ? "/" : cwd.virtual;
        const result = resolveVirtual(ROOT, from, input);
        if (typeof result === "string") return result === "invalid-name" || result === "reserved-name" || result === "outside";
        return (
          result.virtual.startsWith("/") &&
          !result.virtual.split("/").includes("..") &&
          posix.normalize(result.virtual) === result.virtual &&
          staysInside(ROOT, result.real) &&
          (result.real === ROOT) === (result.virtual === "/")
        );
      }),
      { numRuns: 5000 },
    );
  });

  test("control characters anywhere are always refused", () => {
    fc.assert(
      fc.property(hostilePath, fc.integer({ min: 0, max: 0x1f }), hostilePath, (head, code, tail) => {
        return resolveVirtual(ROOT, "/", head + String.fromCharCode(code) + tail) === "invalid-name";
      }),
      { numRuns: 1000 },
    );
  });

  test("resolving is idempotent: the virtual path resolves to itself", () => {
    fc.assert(
      fc.property(hostilePath, (input) => {
        const once = resolveVirtual(ROOT, "/", input);
        if (typeof once === "string") return true;
        const twice = resolveVirtual(ROOT, "/somewhere/else", once.virtual);
        return typeof twice === "object" && twice.virtual === once.virtual && twice.real === once.real;
      }),
      { numRuns: 2000 },
    );
  });

  test("a root with a trailing separator or a prefix-sharing sibling cannot be reached", () => {
    // "/srv/files/al" must not reach "/srv/files/alice": the real path always has root + sep.
    fc.assert(
      fc.property(hostilePath, (input) => {
        const result = resolveVirtual("/srv/files/al", "/", input);
        return typeof result === "string" || staysInside("/srv/files/al", result.real);
      }),
      { numRuns: 2000 },
    );
  });
});

// ── links on the real disk ───────────────────────────────────────────────────

describe("confineRealPath: symbolic links planted in a space", () => {
  let base: string;
  let root: string;
  let other: string;
  let outside: string;

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), "cmy-jail-")));
    root = join(base, "files", "alice");
    other = join(base, "files", "bob");
    outside = join(base, "outside");
    await mkdir(join(root, "docs"), { recursive: true });
    await mkdir(other, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(root, "docs", "a.txt"), "a");
    await writeFile(join(other, "secret.txt"), "bob's");
    await symlink("/etc", join(root, "etc-link"));
    await symlink("/etc/passwd", join(root, "passwd-link"));
    await symlink(other, join(root, "bob-link"));
    await symlink("../bob", join(root, "bob-relative"));
    await symlink("docs", join(root, "docs-link"));
    await symlink("docs/a.txt", join(root, "a-link"));
    await symlink(join(outside, "not-yet"), join(root, "dangling-out"));
    await symlink("missing-inside", join(root, "dangling-in"));
    await symlink("loop-b", join(root, "loop-a"));
    await symlink("loop-a", join(root, "loop-b"));
    await symlink(join(root, "dangling-out"), join(root, "chain-out"));
    // A sibling whose name starts with the root's: "alice-evil" is not inside "alice".
    await mkdir(join(base, "files", "alice-evil"), { recursive: true });
    await symlink(join(base, "files", "alice-evil"), join(root, "prefix-link"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  const check = (path: string): Promise<boolean> => confineRealPath(root, join(root, ...path.split("/").filter(Boolean)));

  test("plain paths, existing or not, are inside", async () => {
    assert.equal(await check("/"), true);
    assert.equal(await check("docs/a.txt"), true);
    assert.equal(await check("docs/new.txt"), true);
    assert.equal(await check("new/deeper/still/file"), true);
    assert.equal(await check("docs/a.txt/below-a-file"), true);
  });

  test("links that stay inside are followed", async () => {
    assert.equal(await check("docs-link"), true);
    assert.equal(await check("docs-link/a.txt"), true);
    assert.equal(await check("a-link"), true);
    assert.equal(await check("dangling-in"), true);
  });

  test("links to /etc are refused, and so is everything through them", async () => {
    assert.equal(await check("etc-link"), false);
    assert.equal(await check("etc-link/passwd"), false);
    assert.equal(await check("etc-link/does-not-exist"), false);
    assert.equal(await check("passwd-link"), false);
  });

  test("links to another account's space are refused", async () => {
    assert.equal(await check("bob-link"), false);
    assert.equal(await check("bob-link/secret.txt"), false);
    assert.equal(await check("bob-relative/secret.txt"), false);
    assert.equal(await check("bob-link/new-file"), false);
    assert.equal(await check("prefix-link"), false);
  });

  test("dangling links that point outside are refused (followed by hand), even through a chain", async () => {
    assert.equal(await check("dangling-out"), false);
    assert.equal(await check("dangling-out/x"), false);
    assert.equal(await check("chain-out"), false);
  });

  test("link loops are refused", async () => {
    assert.equal(await check("loop-a"), false);
    assert.equal(await check("loop-a/x"), false);
  });

  const opened = async (path: string): Promise<boolean | null> => {
    // Opened the way FileSpace.openRead opens: links on the way followed, none as the last part.
    const handle = await open(join(root, ...path.split("/").filter(Boolean)), "r");
    try {
      return descriptorInside(root, handle.fd);
    } finally {
      await handle.close();
    }
  };

  test("descriptorInside: a file opened through a link out of the space is known to be outside", { skip: descriptorInside("/", 0) === null && "no /proc/self/fd" }, async () => {
    assert.equal(await opened("docs/a.txt"), true);
    assert.equal(await opened("docs-link/a.txt"), true);
    assert.equal(await opened("bob-link/secret.txt"), false);
    assert.equal(await opened("bob-relative/secret.txt"), false);
    assert.equal(await opened("etc-link/passwd"), false);
    // Deleted while open: judged by where it was.
    await writeFile(join(root, "docs", "gone.txt"), "g");
    const handle = await open(join(root, "docs", "gone.txt"), "r");
    try {
      await unlink(join(root, "docs", "gone.txt"));
      assert.equal(descriptorInside(root, handle.fd), true);
      assert.equal(descriptorInside(other, handle.fd), false);
    } finally {
      await handle.close();
    }
  });
});
