/** The seqs in the order they first arrived (QoS 1 may repeat a message; repeats are dropped here). */
export function firstArrivals(seqs: number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((seq) => {
    if (seen.has(seq)) return false;
    seen.add(seq);
    return true;
  });
}
