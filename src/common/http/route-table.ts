import type { Application } from 'express';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The registered routes, read from Express after Nest mounted them. Lets the error filter tell an unknown
 * path (404) from a known path called with the wrong method (405 + Allow).
 */
export class RouteTable {
  private layers: RouteLayer[] = [];

  capture(app: Application): void {
    const router = (app as unknown as { router?: { stack: RouteLayer[] } }).router;
    // Wildcard routes (Nest mounts middleware as `/{*path}` for every method) say nothing about a path.
    this.layers = (router?.stack ?? []).filter((layer) => layer.route !== undefined && !layer.route.path.includes('*'));
  }

  /** Methods allowed on the path, upper-case and sorted; empty when the path is unknown. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const layer of this.layers) {
      if (layer.route && layer.match(path)) {
        for (const [method, enabled] of Object.entries(layer.route.methods)) {
          if (enabled) methods.add(method.toUpperCase());
        }
      }
    }
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}

export const routeTable = new RouteTable();
