/** The parts of QMP answers ozkit reads (QEMU's qapi schema has more). */

export interface BlockDeviceStats {
  rd_bytes: number;
  wr_bytes: number;
  rd_operations: number;
  wr_operations: number;
  flush_operations?: number;
  unmap_operations?: number;
  [key: string]: unknown;
}

/** One entry of `query-blockstats`. */
export interface BlockStats {
  device?: string;
  qdev?: string;
  node_name?: string;
  stats: BlockDeviceStats;
}

/** `query-status`. */
export interface QmpStatus {
  running: boolean;
  status: string;
  singlestep?: boolean;
}
