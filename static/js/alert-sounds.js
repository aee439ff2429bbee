// Each kind of alert has its own sound, so that nobody takes a drill or a test for a real panic.
// Tones made with WebAudio (no audio file, nothing the strict Content-Security-Policy must allow);
// the names are those of notifications/content.py ALERT_STYLES.
// Each step: [frequency in Hz, seconds on, seconds of silence after].
export const PATTERNS = {
  // Fast, high, repeated two-tone siren: unmistakable.
  panic: { wave: "square", steps: [[1400, 0.12, 0.03], [900, 0.12, 0.03], [1400, 0.12, 0.03], [900, 0.12, 0.03], [1400, 0.12, 0.03], [900, 0.12, 0.2]] },
  // Three rising beeps: someone has to act.
  escalation: { wave: "sawtooth", steps: [[660, 0.15, 0.08], [880, 0.15, 0.08], [1100, 0.25, 0]] },
  // Two soft falling chimes: read when you can.
  bulletin: { wave: "sine", steps: [[880, 0.3, 0.1], [660, 0.45, 0]] },
  // A low double knock: a guard missed a check-in.
  checkin: { wave: "triangle", steps: [[330, 0.18, 0.12], [330, 0.18, 0]] },
  // One long flat low tone, nothing like an alarm: a test.
  test: { wave: "sine", steps: [[440, 0.6, 0]] },
  // Insistent: low-high pulses, repeated (nobody acknowledged).
  exhausted: { wave: "square", steps: [[500, 0.2, 0.05], [1000, 0.2, 0.05], [500, 0.2, 0.05], [1000, 0.2, 0.3]] },
};

let context = null;

export function playAlert(name) {
  const pattern = PATTERNS[name];
  if (!pattern || typeof window.AudioContext !== "function") return false;
  context ??= new window.AudioContext();
  if (context.state === "suspended") context.resume().catch(() => {});
  let at = context.currentTime + 0.02;
  for (const [frequency, on, off] of pattern.steps) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = pattern.wave;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + on);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + on + 0.02);
    at += on + off;
  }
  return true;
}
