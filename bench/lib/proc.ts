/**
 * Linux /proc readers and process plumbing for the benchmarks: a server's CPU
 * time and resident memory, this process's file-descriptor limit and CPU pinning.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let clockTicks: number | null = null;

/** Clock ticks per second of /proc/PID/stat times (almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a whole process (all threads), in microseconds; null when it is gone. */
export function processCpuMicros(pid: number, file = `/proc/${pid}/stat`): number | null {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / clockTicksPerSecond();
}

/** utime and stime of a whole process (all threads), apart, in microseconds: JavaScript and other user code, and the kernel working for it (system calls: socket I/O). Null when it is gone. */
export function processCpuSplitMicros(pid: number): { user: number; system: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const tick = 1_000_000 / clockTicksPerSecond();
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick };
}

/** utime + stime of one thread of a process, in microseconds; null when it is gone. The main thread's id is the PID. */
export function threadCpuMicros(pid: number, tid: number = pid): number | null {
  return processCpuMicros(pid, `/proc/${pid}/task/${tid}/stat`);
}

/** Time a thread spent runnable but waiting for a CPU (/proc/PID/task/TID/schedstat, 2nd field), in microseconds; null when unavailable. */
export function threadRunDelayMicros(pid: number, tid: number = pid): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1");
  } catch {
    return null;
  }
  const wait = Number(text.split(" ")[1]);
  return Number.isFinite(wait) ? wait / 1000 : null;
}

/** A field of /proc/PID/status in KiB (VmRSS, VmHWM, ...); null when unavailable. */
export function statusKiB(pid: number, field: "VmRSS" | "VmHWM" | "VmSize" | "RssAnon"): number | null {
  return procNumbers(`/proc/${pid}/status`, [field])?.[0] ?? null;
}

export function rssKiB(pid: number): number | null {
  return statusKiB(pid, "VmRSS");
}

/**
 * Context switches of a process's main thread (/proc/PID/status): voluntary ones are
 * the times it went to sleep waiting for work, i.e. its wake-ups; involuntary ones the
 * times the scheduler took the CPU away. Null when unreadable.
 */
export function contextSwitches(pid: number): { voluntary: number; involuntary: number } | null {
  const [voluntary, involuntary] = procNumbers(`/proc/${pid}/status`, ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"]) ?? [];
  return voluntary !== undefined && involuntary !== undefined ? { voluntary, involuntary } : null;
}

/**
 * The numbers after `key:` in a /proc key-value file (status, io), in the order asked;
 * null when the file cannot be read or a key is missing.
 */
function procNumbers(path: string, keys: readonly string[]): number[] | null {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch {
    return null;
  }
  const values: number[] = [];
  for (const key of keys) {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text);
    if (!match) return null;
    values.push(Number(match[1]));
  }
  return values;
}

/** This process's soft and hard limit on open files. */
export function openFileLimit(pid: number | "self" = "self"): { soft: number; hard: number } {
  const text = readFileSync(`/proc/${pid}/limits`, "latin1");
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const parse = (value: string | undefined): number => (value === undefined || value === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(value));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}

/**
 * Raises this process's soft open-file limit towards `wanted` (at most the hard limit,
 * unless we are allowed to raise that too). Children spawned later inherit it.
 */
export function raiseOpenFileLimit(wanted: number): { soft: number; hard: number } {
  const before = openFileLimit();
  if (before.soft >= wanted) return before;
  const attempt = (soft: number, hard: number): boolean => {
    try {
      execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${soft}:${hard}`], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (!(before.hard < wanted && attempt(wanted, wanted))) attempt(Math.min(wanted, before.hard), before.hard);
  return openFileLimit();
}

/** Pins every thread of this process to one CPU (threads made later inherit it). */
export function pinSelf(cpu: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function cpuCount(): number {
  try {
    return Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || 1;
  } catch {
    return 1;
  }
}

/** CPU time this process has used, in microseconds. */
export function selfCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Busy CPU time of the whole machine (all CPUs, everything but idle and iowait), in microseconds. */
export function machineBusyMicros(): number {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "latin1");
  } catch {
    return Number.NaN;
  }
  const line = text.slice(0, text.indexOf("\n"));
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const guest = (ticks[8] ?? 0) + (ticks[9] ?? 0);
  return ((total - idle - guest) * 1_000_000) / clockTicksPerSecond();
}

/** Read and write system calls a process has made (/proc/PID/io syscr, syscw); null when unreadable. */
export function ioSyscalls(pid: number): { reads: number; writes: number } | null {
  const [reads, writes] = procNumbers(`/proc/${pid}/io`, ["syscr", "syscw"]) ?? [];
  return reads !== undefined && writes !== undefined ? { reads, writes } : null;
}

/** Bytes a process has handed to write() and its kin (/proc/PID/io wchar: page cache included, not only the disk); NaN when unreadable. */
export function bytesHandedToWrite(pid: number | "self"): number {
  return procNumbers(`/proc/${pid}/io`, ["wchar"])?.[0] ?? Number.NaN;
}

interface StatFields {
  readonly ppid: number;
  /** utime + stime of the process itself (all threads), in clock ticks. */
  readonly own: number;
  /** cutime + cstime: the CPU of the children it has waited for (and theirs), in clock ticks. */
  readonly reaped: number;
}

function statFields(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // Fields after the command name: state ppid ... utime(11) stime(12) cutime(13) cstime(14).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
}

/** PIDs of every process below `pid` (children, their children, ...; zombies included), from the parent PIDs in /proc/PID/stat. */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const list = children.get(fields.ppid);
    if (list) list.push(Number(entry));
    else children.set(fields.ppid, [Number(entry)]);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/**
 * CPU time of a process tree, in microseconds; null when the root is gone. The sum
 * over the root and every live (or zombie) descendant of utime + stime + cutime +
 * cstime: a child that has exited and been waited for is in its parent's cutime/cstime,
 * one that has not is still in /proc, so each process counts once. A process whose
 * parent exits without waiting for it is reparented out of the tree and lost, unless
 * the root is a child subreaper (bench/lib/subreaper.pl). Read it when the tree is
 * quiet: a child reaped between reading it and reading its parent would count twice.
 */
export function processTreeCpuMicros(pid: number): number | null {
  const root = statFields(pid);
  if (!root) return null;
  let ticks = root.own + root.reaped;
  for (const child of descendantPids(pid)) {
    const fields = statFields(child);
    if (fields) ticks += fields.own + fields.reaped;
  }
  return (ticks * 1_000_000) / clockTicksPerSecond();
}

/** CPU of this process's children that have exited and been waited for (cutime + cstime of /proc/self/stat), in microseconds. */
export function reapedChildrenCpuMicros(): number {
  const fields = statFields(process.pid);
  return fields ? (fields.reaped * 1_000_000) / clockTicksPerSecond() : Number.NaN;
}
