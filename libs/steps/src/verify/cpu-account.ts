import { z } from 'zod';

/**
 * Run in the measuring container: the kernel's busy time per CPU (`/proc/stat` is not namespaced,
 * so it counts every process on the machine, and the hypervisor's steal) and the container's own CPU
 * time (its cgroup). Between two readings, busy time on the pinned CPUs that the container did not
 * use is other work that shared the CPUs with the benchmarks.
 */
export const CPU_ACCOUNT = `import json, os, time
cpus = {}
for line in open("/proc/stat"):
    if line.startswith("cpu") and line[3:4].isdigit():
        f = line.split()
        v = [int(x) for x in f[1:]] + [0] * 8
        cpus[f[0][3:]] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal
usage = None
try:
    for line in open("/sys/fs/cgroup/cpu.stat"):
        k, v = line.split()
        if k == "usage_usec":
            usage = int(v) / 1e6
except OSError:
    for p in ("/sys/fs/cgroup/cpuacct/cpuacct.usage", "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage"):
        try:
            usage = int(open(p).read()) / 1e9
            break
        except OSError:
            pass
print(json.dumps({"t": time.time(), "hz": os.sysconf("SC_CLK_TCK"), "cpus": cpus, "usage_s": usage}))
`;

export const CpuReading = z.object({
  t: z.number(),
  hz: z.number().positive(),
  cpus: z.record(z.string(), z.number()),
  usage_s: z.number().nullable(),
});
export type CpuReading = z.infer<typeof CpuReading>;

/** The CPU ids of a Docker `--cpuset-cpus` list (`1`, `0-2,5`). */
export function parseCpuset(list: string): string[] {
  const out: string[] = [];
  for (const part of list.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid CPU set ${JSON.stringify(list)}: expected e.g. 1 or 0-2,5`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) out.push(String(c));
  }
  return out;
}

/**
 * The share (0–1) of the pinned CPUs' time between two readings that went to anything but the
 * measuring container; null when a reading lacks the CPUs or the container's usage (no cgroup file).
 */
export function foreignShare(before: CpuReading, after: CpuReading, cpuset: readonly string[]): number | null {
  const wall = after.t - before.t;
  if (!(wall > 0) || before.usage_s === null || after.usage_s === null || cpuset.length === 0) return null;
  let busyTicks = 0;
  for (const c of cpuset) {
    const a = after.cpus[c];
    const b = before.cpus[c];
    if (a === undefined || b === undefined) return null;
    busyTicks += a - b;
  }
  const foreign = busyTicks / after.hz - (after.usage_s - before.usage_s);
  return Math.round(Math.min(1, Math.max(0, foreign / (wall * cpuset.length))) * 1000) / 1000;
}
