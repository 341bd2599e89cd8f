// Scoring Korean ASR output against the text we synthesised: similarity on the jamo (letter) sequence,
// 1 - Levenshtein / max length. Vosk's small Korean model hears espeak-ng's robotic voice imperfectly, so tests
// compare matched pairs against mismatched ones instead of expecting exact transcripts.
export function jamo(s: string): string {
  let o = '';
  for (const ch of s.replace(/\s|\[\d+\]/g, '')) {
    const c = ch.codePointAt(0)! - 0xac00;
    if (c >= 0 && c < 11172) {
      o += String.fromCharCode(0x1100 + Math.floor(c / 588), 0x1161 + Math.floor((c % 588) / 28));
      if (c % 28) o += String.fromCharCode(0x11a7 + (c % 28));
    }
  }
  return o;
}

export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

export function koreanSimilarity(reference: string, hypothesis: string): number {
  const x = jamo(reference);
  const y = jamo(hypothesis);
  return 1 - levenshtein(x, y) / Math.max(x.length, y.length, 1);
}

export const KOREAN_PHRASES = ['안녕하세요', '감사합니다', '네 좋아요', '아니요 괜찮습니다', '오늘 날씨가 좋습니다', '지금은 바쁩니다', '다시 전화해 주세요', '내일 오후에 시간이 있어요'];
