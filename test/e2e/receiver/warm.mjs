// An empty module: importing it first warms Node's ESM loader, so the timing measures only ours.
export const warm = true;
