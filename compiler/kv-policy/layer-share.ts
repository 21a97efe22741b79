/**
 * @fileoverview Cross-layer index sharing (MPCACHE-NOTES §3.3): the first and last `edge` layers compute their own
 * selection; the layers between them go in adjacent pairs, the first of a pair computes and the second reuses it
 * (static kept set and per-head dynamic choice, head h from head h). MPCache uses edge = 2 on 32 layers. The schedule
 * depends on nothing but the layer count, so it is public.
 */

/** The layer whose selection layer `layer` uses (itself when it computes its own). */
export function shareSource(layer: number, layers: number, edge: number, enabled: boolean): number {
  if (!enabled || layer < edge || layer >= layers - edge) return layer;
  const inPair = (layer - edge) % 2;
  // An odd middle count leaves the last middle layer without a partner: it computes its own.
  return inPair === 1 ? layer - 1 : layer;
}

/** Layers that compute a selection (the rest reuse their partner's). */
export function computingLayers(layers: number, edge: number, enabled: boolean): number[] {
  return Array.from({ length: layers }, (_x, l) => l).filter((l) => shareSource(l, layers, edge, enabled) === l);
}
