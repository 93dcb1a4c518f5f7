// Peak RSS of a WHOLE process tree (a process and all its descendants), sampled from /proc: the
// sum of VmRSS over the tree, every SAMPLE_MS. A command that starts helpers (a relaunched child, a
// local engine) is counted with them. Also the CPU time the tree has used (user + system, its
// waited-for children's included), as of the last sample: a figure that a busy machine disturbs
// less than wall time. Linux only.
import { readdirSync, readFileSync } from 'node:fs'
import { clearInterval, setInterval } from 'node:timers'

const SAMPLE_MS = 25
/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS = 100

/** utime + stime + cutime + cstime of `pid`, in ticks; 0 when it is gone. */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is the state (field 3): utime is field 14, so fields[11]; then stime, cutime, cstime.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  } catch {
    return 0
  }
}

function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0 // a zombie has no VmRSS
  } catch {
    return undefined // gone
  }
}

function childrenOf(pid) {
  const children = []
  let tasks
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return children
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) children.push(Number(c))
    } catch {
      // the thread ended
    }
  }
  return children
}

/** Sum of VmRSS (kB) and CPU ticks of `root` and every descendant alive now, and how many processes that is. */
export function treeRss(root) {
  let kb = 0
  let ticks = 0
  let processes = 0
  const stack = [root]
  const seen = new Set()
  while (stack.length) {
    const pid = stack.pop()
    if (seen.has(pid)) continue
    seen.add(pid)
    const rss = rssKb(pid)
    if (rss === undefined) continue
    kb += rss
    ticks += cpuTicks(pid)
    processes++
    stack.push(...childrenOf(pid))
  }
  return { kb, ticks, processes }
}

/**
 * Samples the tree under `pid` until stop(); stop() returns the peak sum (kB), the most processes
 * seen at once and the most CPU seconds seen (up to one sample interval short of the total).
 */
export function sampleTree(pid, everyMs = SAMPLE_MS) {
  let peakKb = 0
  let maxProcesses = 0
  let maxTicks = 0
  const sample = () => {
    const { kb, ticks, processes } = treeRss(pid)
    if (kb > peakKb) peakKb = kb
    if (ticks > maxTicks) maxTicks = ticks
    if (processes > maxProcesses) maxProcesses = processes
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return { peakKb, maxProcesses, cpuSeconds: maxTicks / TICKS }
    },
  }
}
