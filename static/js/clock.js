// A time of day, 24-hour, with its zone named as the server names it beside it (CST, EST, GMT,
// CET; README "Time zones"): one locale alone names only its own region's zones ("en-GB" writes
// Chicago as "GMT-6", "en-US" writes Berlin as "GMT+1"), so the name comes from the first that has
// one, and the offset stays where none does.
const LOCALES = ["en-US", "en-GB"];

export function timeOfDay(date, { seconds = false, timeZone } = {}) {
  const options = {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
    ...(seconds ? { second: "2-digit" } : {}),
    ...(timeZone ? { timeZone } : {}),
  };
  let text = "";
  for (const locale of LOCALES) {
    try {
      text = date.toLocaleTimeString(locale, options);
    } catch {
      delete options.timeZone; // an unknown zone: the device's own, named
      text = date.toLocaleTimeString(locale, options);
    }
    if (!/GMT[+\-−]/.test(text)) return text;
  }
  return text;
}
