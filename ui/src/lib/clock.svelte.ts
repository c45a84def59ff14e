// One shared clock for every ticking timer: a single interval, aligned to whole seconds.
export const clock = $state({ now: Date.now() });

let started = false;

export function startClock(): void {
  if (started) return;
  started = true;
  const tick = () => {
    clock.now = Date.now();
    setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}
