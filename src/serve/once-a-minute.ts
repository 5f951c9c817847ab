/**
 * `report` for an error unless the same message was reported less than a minute ago: for errors that
 * repeat with every write or request (a full disk fails every flush of the prediction logs; a broken shadow
 * fails every shadowed request), so that the log says so once a minute instead of flooding.
 */
export function onceAMinute(report: (e: Error) => void, now: () => number = Date.now): (e: Error) => void {
  let last = '';
  let at = -Infinity;
  return (e) => {
    const t = now();
    if (e.message === last && t - at < 60_000) return;
    last = e.message;
    at = t;
    report(e);
  };
}
