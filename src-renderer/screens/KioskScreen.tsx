/**
 * Kiosk: the interpreter full screen for a deaf-services counter. Large Hangul captions (the words
 * said so far and the word being signed now), no menus or tabs, the camera reconnects on its own,
 * the sentence clears itself when nobody has signed for a while. Everything it shows is local (no
 * remote fonts, images or scripts), so it runs with the network off.
 *
 * Opened as `#kiosk` (parameters: live/live-settings.ts); Esc goes back to the Live screen only when
 * the hash says `back=1` (the Live screen's Kiosk button): a counter's kiosk has no way out by keyboard.
 */
import { useEffect, useState } from 'react';
import type { KioskRoute } from '../live/live-settings';
import { useLiveSession } from '../live/use-live-session';
import { cameraText } from './LiveScreen';

/** How many said words the caption keeps on screen (the strip scrolls older ones away). */
const CAPTION_WORDS = 6;

export function KioskScreen({ route, onExit }: { route: KioskRoute; onExit: () => void }) {
  const s = useLiveSession({ persist: false, autoModel: true, overrides: route.overrides, boxFontPx: 28 });
  useEffect(() => {
    if (!route.back) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onExit();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [route.back, onExit]);

  // a wrong value in the address is shown for a while (the default is used meanwhile), then left out
  const [urlProblems, setUrlProblems] = useState(route.problems);
  useEffect(() => {
    const t = setTimeout(() => setUrlProblems([]), 15_000);
    return () => clearTimeout(t);
  }, []);

  const words = s.view.sentence.slice(-CAPTION_WORDS);
  const current = s.view.current;
  const cam = s.cameraStatus;
  const problem =
    cam.state === 'retrying' || cam.state === 'unsupported'
      ? cameraText(cam)
      : s.model.state === 'failed'
        ? `모델을 불러오지 못했습니다 · could not load the model: ${s.model.message}`
        : s.models && s.models.length === 0
          ? '모델이 없습니다 · no trained model in this project'
          : s.modelsError
            ? s.modelsError
            : urlProblems.length > 0
              ? `#kiosk: ${urlProblems.join('; ')}`
              : null;
  return (
    <div className="kiosk" data-testid="kiosk" data-sent={s.stats.sent} data-in-flight={s.stats.inFlight} data-max-in-flight={s.stats.maxInFlight} lang="ko">
      <div className="kiosk-stage">
        <video ref={s.videoRef} className="kiosk-video" muted playsInline />
        <canvas ref={s.overlayRef} className="kiosk-overlay" aria-hidden="true" />
      </div>
      {problem && (
        <div className="kiosk-status" role="status" data-testid="kiosk-status" data-state={cam.state}>
          {cam.state === 'retrying' ? `카메라 연결 중… · ${problem}` : problem}
        </div>
      )}
      {!problem && (cam.state === 'opening' || s.model.state === 'loading') && (
        <div className="kiosk-status quiet" role="status" data-testid="kiosk-status" data-state={cam.state}>
          {cam.state === 'opening' ? '카메라를 켜는 중… · opening the camera' : '모델을 준비하는 중… · preparing the model'}
        </div>
      )}
      <div className="kiosk-captions">
        <div className="kiosk-current" data-testid="kiosk-current" aria-live="off">
          {current ? current.label : '\u00a0'}
        </div>
        <div className="kiosk-sentence" data-testid="kiosk-sentence" aria-live="polite">
          {words.length === 0 ? <span className="kiosk-hint">수어로 말씀해 주세요</span> : words.map((w, i) => <span key={`${w.t}-${i}`}>{w.word}</span>)}
        </div>
      </div>
      <div className="kiosk-foot" data-testid="kiosk-foot">
        {s.model.state === 'ready' ? s.model.info.name : ''} · {s.stats.fps.toFixed(0)} fps
      </div>
    </div>
  );
}
