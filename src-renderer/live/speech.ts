/**
 * Speaking said words through the platform's speech synthesis, with a Korean voice only: reading
 * Hangul with an English voice is worse than silence. Voices load asynchronously in Chromium
 * (`voiceschanged`), so the choice is a hook that updates.
 */
import { useEffect, useState } from 'react';

export type KoreanVoice =
  | { state: 'checking' }
  | { state: 'none'; reason: string }
  | { state: 'ok'; voice: SpeechSynthesisVoice };

/** Prefers ko-KR, then any ko-*; local voices before network ones (the app is offline). */
export function pickKoreanVoice(voices: readonly SpeechSynthesisVoice[]): SpeechSynthesisVoice | null {
  const ko = voices.filter((v) => /^ko([-_]|$)/i.test(v.lang));
  const rank = (v: SpeechSynthesisVoice) => (/^ko[-_]KR$/i.test(v.lang) ? 0 : 2) + (v.localService ? 0 : 1);
  return [...ko].sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

export function useKoreanVoice(): KoreanVoice {
  const [voice, setVoice] = useState<KoreanVoice>({ state: 'checking' });
  useEffect(() => {
    const synth = typeof speechSynthesis === 'undefined' ? null : speechSynthesis;
    if (!synth) {
      setVoice({ state: 'none', reason: 'this system has no speech synthesis' });
      return;
    }
    const update = (final: boolean) => {
      const v = pickKoreanVoice(synth.getVoices());
      if (v) setVoice({ state: 'ok', voice: v });
      else if (final) setVoice({ state: 'none', reason: `no Korean (ko-KR) voice is installed (${synth.getVoices().length} other voices)` });
    };
    update(false);
    const onChange = () => update(true);
    synth.addEventListener('voiceschanged', onChange);
    // some platforms never fire voiceschanged when there are no voices at all
    const t = setTimeout(() => update(true), 1500);
    return () => {
      synth.removeEventListener('voiceschanged', onChange);
      clearTimeout(t);
    };
  }, []);
  return voice;
}

export function speak(word: string, voice: SpeechSynthesisVoice): void {
  const u = new SpeechSynthesisUtterance(word);
  u.voice = voice;
  u.lang = voice.lang;
  u.rate = 1;
  speechSynthesis.speak(u);
}
