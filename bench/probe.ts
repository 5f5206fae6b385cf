/**
 * Preloaded into a process the load benchmark starts (`node --import tsx --import bench/probe.ts …`): when that
 * process exits, its peak RSS and CPU time go to the file named by NHS_BENCH_PROBE. Node gives no resource usage
 * of a child, and this keeps the CLI itself untouched.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.NHS_BENCH_PROBE;
if (out) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    writeFileSync(out, JSON.stringify({ rssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 }));
  });
}
