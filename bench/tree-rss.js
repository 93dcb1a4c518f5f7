// Peak RSS of a WHOLE process tree (a process and all its descendants), sampled from /proc: the
// sum of VmRSS over the tree, every SAMPLE_MS. A command that starts helpers (a relaunched child, a
// local engine) is counted with them. Linux only.
import { readdirSync, readFileSync } from 'node:fs'
import { clearInterval, setInterval } from 'node:timers'

const SAMPLE_MS = 25

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

/** Sum of VmRSS (kB) of `root` and every descendant alive now, and how many processes that is. */
export function treeRss(root) {
  let kb = 0
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
    processes++
    stack.push(...childrenOf(pid))
  }
  return { kb, processes }
}

/** Samples the tree under `pid` until stop(); stop() returns the peak sum (kB) and the most processes seen at once. */
export function sampleTree(pid, everyMs = SAMPLE_MS) {
  let peakKb = 0
  let maxProcesses = 0
  const sample = () => {
    const { kb, processes } = treeRss(pid)
    if (kb > peakKb) peakKb = kb
    if (processes > maxProcesses) maxProcesses = processes
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return { peakKb, maxProcesses }
    },
  }
}
