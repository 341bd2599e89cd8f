// Embedded intent classifier: ordered linguistic rules over normalised ASR text.
//
// Why rules and not a trained model: phone answers are short and formulaic, the corpus is small, and the
// cases that matter (negation scope, idioms such as "pourquoi pas" / "ce n'est pas de refus", "oui mais non",
// opt-out wording) are exactly where a bag-of-words model trained on a few hundred lines goes wrong on
// unseen phrasing. Each rule is a piece of French grammar, not a memorised sentence.
//
// Decision order (first that applies wins), reflecting what the robot must do:
//   stop  >  callback request (busy, "rappelez-moi", "pas maintenant")  >  question  >  time said alone
//   >  hesitation  >  yes/no polarity (with negation scope)  >  weak cues  >  fallback (low confidence).
// The path taken is a "tier"; confidence is the tier's accuracy measured on the train split
// (lib/intent/calibration.ts, written by scripts/calibrate-intent.ts), so it is calibrated.
import type { ClassifyOptions, Intent, IntentResult } from './types';
import { normalize } from './normalize';
import { extractCallbackTime } from './callback-time';
import { CALIBRATION } from './calibration';

export type Tier =
  | 'empty'
  | 'stop'
  | 'callback_request'
  | 'question_strong'
  | 'callback_time'
  | 'unsure_strong'
  | 'polar_clear'
  | 'polar_conflict'
  | 'polar_context'
  | 'unsure_weak'
  | 'fallback';

/** Prior confidence of each tier, used until/unless calibration says otherwise. */
export const TIER_PRIOR: Record<Tier, number> = {
  empty: 0.3,
  stop: 0.98,
  callback_request: 0.93,
  question_strong: 0.92,
  callback_time: 0.85,
  unsure_strong: 0.88,
  polar_clear: 0.93,
  polar_conflict: 0.75,
  polar_context: 0.7,
  unsure_weak: 0.6,
  fallback: 0.3,
};

const any = (s: string, res: RegExp[]) => res.some((r) => r.test(s));

// ---------------------------------------------------------------- stop (opt-out) ---------------------
const CALL_VERB = '(?:r?appel\\w*|telephon\\w*|contact\\w*|recontact\\w*|demarch\\w*|deranger|derangez|sollicit\\w*|solicit\\w*|harcel\\w*)';
const STOP: RegExp[] = [
  // ne me rappelez plus / m'appelez plus / rappelez plus jamais / rappelez-moi plus jamais (not "plus tard")
  new RegExp(`\\b${CALL_VERB} (?:moi |nous )?(?:plus|jamais)\\b(?! tard| tot| tardivement| vite)`),
  new RegExp(`\\bne (?:me |nous |le |la )?${CALL_VERB} (?:pas|plus|jamais)\\b(?! tard| tot)`),
  new RegExp(`\\b(?:rappelez|rappeler|appelez|telephonez|contactez|recontactez|rappelle|rappelles) (?:moi |me |nous )?pas\\b`),
  new RegExp(`\\bne (?:plus|pas|jamais) (?:me |nous |le |la |etre |jamais )?${CALL_VERB}`),
  new RegExp(`\\bplus jamais (?:etre |me |nous )?${CALL_VERB}`),
  new RegExp(`\\barret\\w* (?:ca |cela )?(?:tout de suite |immediatement |maintenant )?(?:de )?(?:me |nous |m )?${CALL_VERB}`),
  /\barret\w* (?:vos|les|ces|tes|avec vos|avec les|avec ces) (?:appels|coups de fil|conneries|demarchages?|sollicitations)\b/,
  /\bcess\w* (?:de |vos |les )?\w*\s?(?:appel|telephon|harcel|demarch)/,
  /\b(?:supprim|retir|enlev|effac|ray|radi|desinscri|sort)\w* (?:moi|nous|mon numero|mes coordonnees|mes donnees|ce numero|le numero|notre numero|mon nom|mon contact)\b/,
  /\b(?:me|nous) (?:supprim|retir|enlev|effac|ray|radi|desinscri|sort)\w* (?:de|des|du)\b/,
  /\b(?:oubli|perd)\w* (?:mon|notre|ce) numero\b/,
  /\bsuppression de (?:mes|mon|nos) (?:donnees|numero|coordonnees)\b/,
  /\bdesinscri\w*/,
  /\bbloc ?tels?\b|\bblocs tels?\b|\bbloque tel\b/,
  /\bliste (?:rouge|noire|de opposition|des personnes a ne pas)\b/,
  /\boppos\w* (?:au|a le) demarchage\b/,
  /\bcnil\b/,
  /\banti ?demarchage\b|\bliste (?:anti|de opposition|de oppo)\w*/,
  /\bde (?:ne )?plus (?:me |nous )?(?:r?appeler|contacter|deranger|telephoner|demarcher)\b/,
  /\bharcel\w*/,
  /\bporter plainte\b|\bporte plainte\b/,
  /\bplus (?:jamais )?(?:de |des )?(?:vos )?(?:appels?|coups? de fils?|coups? de telephone)\b/,
  /\b(?:veu\w*|voul\w*|souhait\w*|desir\w*) (?:ne )?(?:plus|pas|plus jamais|pas que|plus que) (?:que )?(?:etre |on |vous |qu |que on |que vous )?(?:me |nous )?(?:r?appel|contact|demarch|derange|sollicit|recevoir (?:de |d )?(?:appels?|vos))/,
  /\b(?:veux|souhaite|voudrais) (?:plus|pas) (?:de |des )?(?:vos )?(?:appels|demarchage)\b/,
  /\b(?:pas de|aucun) demarchage\b/,
  /\b(?:veu\w*|voul\w*) plus (?:jamais )?(?:entendre parler de vous|vous entendre|avoir affaire)/,
  /\b(?:pas la peine|inutile|pas besoin|ce est pas la peine) de (?:me |nous )?(?:rappeler|recontacter|rappelez|appeler|telephoner)\b/,
  /\b(?:laissez|laisse|foutez|fichez|fiche|fous) (?:moi|nous) (?:tranquille|la paix|en paix)\b/,
  /\b(?:\w+ieme|derniere) fois que (?:vous|on) (?:m |me |nous )?appel/,
  /\bvous (?:me |nous )?(?:appelez|derangez|harcelez|rappelez) (?:tous les jours|tout le temps|sans arret|sans cesse|encore et encore)\b/,
  /\bvous (?:me |nous )?derangez tout le temps\b/,
  /\bvous (?:avez|avez pas|n avez pas|ne avez pas) (?:pas )?le droit de (?:me |nous )?(?:appeler|demarcher|contacter)/,
  /\binterdi\w* de (?:me |nous )?(?:r?appeler|demarcher|contacter|telephoner)\b/,
  /\bne pas (?:me |nous )?(?:appeler|rappeler|deranger|contacter|demarcher)\b/,
  // "stop" said anywhere (alone, "bah stop", "stop stop", "non stop merci"): on the phone it always means
  // "stop calling"; wrongly ending a call costs little, calling an opted-out person again is unlawful.
  /\bstop(?:pe|pez|per|pons)?\b/,
  // Threats to complain or report ("je vais porter plainte si vous rappelez"): the callback words in them
  // must not make them a callback request.
  /\bplainte\b/,
  /\b(?:vous|le|les|ca|votre numero|ce numero|cet appel) (?:signaler|denoncer|signale|denonce)\b/,
  /\b(?:vais|irai|aller|appeler|appelle|prevenir|previens|contacter|contacte) (?:a |a la |la |les |mon |un )?(?:police|gendarmes|gendarmerie|avocat)\b|\bsignal ?conso\b/,
  /\boubli\w* (?:moi|nous)\b/,
  // ASR dropped a word or the start of the sentence: "je veux plus être [appelé]", "[ne] plus m'appeler".
  /\b(?:veux|veut|voudrais|souhaite) (?:ne )?plus etre\s*$/,
  /\bplus etre (?:r?appel|contact|demarch|derange|sollicit|solicit|telephon)\w*/,
  /\b(?:marre|assez|suffit) (?:avec |de )?(?:les |vos |ces |tes )(?:appels|coups de fil|demarchages?|sollicitations)\b/,
  /\b(?:pas|plus|aucun) de appels?\b/,
  new RegExp(`\\bplus (?:me |nous )${CALL_VERB}`),
  /^ (?:non )?(?:non )?plus jamais (?:merci )?$/,
  /\b(?:fait|depuis) (?:\w+ )?(?:fois|jours|semaines|mois) que (?:vous|on) (?:me |m |nous )?r?appel\w*/,
  new RegExp(`\\b(?:plus )?jamais (?:etre |me |nous |de me |de nous )?${CALL_VERB}`),
  /\b(?:etre|soit|soient|sois) (?:retire|raye|supprime|efface|enleve|radie|desinscrit|sorti)e?s?\b/,
  /\b(?:voudr\w*|aimer\w*) (?:ne )?(?:plus|pas|plus jamais) (?:etre |que on |que vous |qu on )?(?:me |nous )?(?:r?appel|contact|demarch|derange|sollicit)/,
  /\bde (?:ne )?(?:plus|pas|jamais) (?:me |nous )?(?:r?appeler|contacter|deranger|telephoner|demarcher)\b/,
  /\b(?:signaler|denoncer) (?:votre|ce) numero\b/,
];
// "ne me rappelez pas avant 18h" / "pas avant lundi" is a callback, not an opt-out.
const STOP_GUARD_EXCEPT = /\bjamais\b|\bplus jamais\b/;
const STOP_GUARD = /\b(?:pas|plus) (?:avant|maintenant|tout de suite|ce (?:soir|matin|midi)|cette semaine|aujourdhui|demain)\b/;

// ---------------------------------------------------------------- callback -----------------------------
const CALLBACK_REQUEST: RegExp[] = [
  /\brappel(?:ez|er|e|es|le|lez|lerai|lerez|lera|lons)\b/, // rappelez(-moi), vous pouvez me rappeler, je vous rappelle
  /\b(?:recontact|repass)\w*/,
  /\b(?:appelez|appeler|appelle|telephonez) (?:moi|nous|me)? ?(?:plus tard|demain|ce soir|dans|apres|la semaine|un autre|une autre|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|vers|en fin|le soir|le matin)/,
  /\bpas (?:maintenant|tout de suite|aujourdhui|ce soir|ce matin|ce jour la|cette semaine|en ce moment|la tout de suite|pour le moment la|la)\b(?! pas| peine)/,
  /\b(?:pas le|mauvais) (?:bon )?moment\b|\btombez (?:mal|au mauvais moment)\b|\btombe mal\b/,
  /\bpas (?:un|le) bon moment\b/,
  /\b(?:suis|sommes|on est|je etais|il est|elle est) (?:tres |un peu |actuellement |en ce moment |deja )?(?:occupe|occupee|occupes|pris|prise|presse|pressee|debordee?|au travail|au boulot|au bureau|en reunion|en rendez vous|en voiture|au volant|sur la route|en route|dans le train|dans le bus|dans le metro|en train de|a le hopital|a le supermarche|chez le medecin|avec (?:un|une|des|mes|mon|ma) \w+|en vacances|pas dispo\w*|indisponible|pas chez moi|sous la douche|en pleine? \\w+|a table|en deplacement|en cours|en consultation|au telephone|en ligne|en communication|au travail la|a le travail|a le boulot|en conge|dehors|en course|en courses)\b/,
  /\ben (?:pleine )?reunion\b|\ben (?:plein )?rendez vous\b/,
  /\b(?:je|on) (?:conduis|conduit|mange|mangeons|dine|travaille|bosse)\b/,
  /\b(?:on passe|on est|nous sommes) a table\b|^a table\b/,
  /\b(?:je dois|il faut que je|faut que je) (?:y aller|partir|raccrocher|filer|vous laisser)\b/,
  /\bla je dois (?:partir|y aller)\b/,
  /\b(?:peux|peut|pouvons) pas (?:vous |te )?(?:parler|repondre|discuter)\b/,
  /\bne (?:peux|peut|pouvons) pas (?:vous |te )?(?:parler|repondre|discuter)\b/,
  /\b(?:je )?(?:ne )?peux pas la\b/,
  /\b(?:ai|a|avons) pas (?:trop |vraiment )?le temps\b(?! pour (?:ca|ce|vos|votre|les|des))/,
  /\bne ai pas (?:trop |vraiment )?le temps\b(?! pour (?:ca|ce|vos|votre|les|des))/,
  /\bpas (?:trop |vraiment )?le temps (?:la|maintenant|en ce moment|aujourdhui|tout de suite)\b/,
  /\bce est (?:complique|pas possible) (?:la|maintenant|aujourdhui|en ce moment)\b/,
  /\b(?:il|elle) (?:ne )?(?:est|est pas) (?:pas )?la\b|\b(?:il|elle) (?:est )?absente?\b/,
  /\b(?:mari|femme|epouse|conjoint|pere|mere|patron) (?:ne )?(?:est )?pas la\b/,
  /\bpas la rappel/,
];
// A said time alone ("ce soir", "lundi matin plutôt", "après dix-huit heures") means "call me then".
const TIME_WORDS =
  /\b(?:demain|aujourdhui|soir|matin|midi|minuit|apres|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|semaine|week|mois|heures?|\d+h\d*|\d+|dans|plus tard|tout a le heure|autre|moment|fin|debut|journee|soiree|le \w+)\b/;
const TIME_ALONE_VAGUE = /\b(?:plus tard|tout a le heure|un autre jour|une autre fois|un autre moment|dans un (?:petit )?moment|un peu plus tard)\b/;

// ---------------------------------------------------------------- questions ----------------------------
const QUESTION: RegExp[] = [
  /\b(?:ce est|vous etes|etes vous|vous ete|c est) qui\b/,
  /\bqui (?:est|etes|ete|ce est|parle|appelle|me appelle|vous a|est a le appareil|est ce|etes vous|vous etes|a le appareil)\b/,
  /^qui\b/,
  /\bde la part de qui\b/,
  /\bce est (?:pour )?quoi\b/,
  /\b(?:pour|de|a propos de|en) quoi\b/,
  /\bpourquoi\b(?! pas)/,
  /\bquel(?:le|les|s)? (?:est|sont|societe|entreprise|boite|compagnie|marque|prix|tarif|heure|jour|date|raison|nom|sujet|offre|produit|genre|type|organisme|agence)\b/,
  /\ba quel (?:sujet|propos)\b|\bau sujet de quoi\b|\bpour vendre\b|\bvous vendez\b/,
  /\bque est ce\b|\bquest ce\b|\bkeske\b|\bque est ce que\b/,
  /\bcombien\b/,
  /\bcomment\b(?! ca va)/,
  /\b(?:ou|de ou) (?:avez vous|vous avez|etes vous|vous etes|est ce|ce est)\b|\bvous etes (?:ou|base\w* ou)\b|\bvous appelez de ou\b/,
  /\bquand\b(?! vous (?:voulez|pouvez|le souhaitez|souhaitez)| tu veux| vous serez| je serai| je (?:suis|rentre|serai))/,
  /\best ce que (?!je (?:peux|pourrais) (?:reflechir|y reflechir))/,
  /\bce est a dire\b/,
  /\brepet\w*/,
  /^pardon\b|\bpardon\s*$/,
  /\b(?:pas|rien|mal) (?:bien |tres bien |tout )?compris\b|\bcomprends (?:pas|rien|mal)\b|\bcompris la question\b/,
  /\b(?:entends|entend|entendu) (?:pas|rien|mal|plus)\b|\bne vous entends\b|\bpas entendu\b|\bpas bien entendu\b/,
  /\bme entendez\b|\bvous me entendez\b|\bme entends tu\b/,
  /\bplus fort\b|\bmoins vite\b|\bplus lentement\b/,
  /\bintelligence artificielle\b|\bune ia\b|\bautomate\b|\benregistrement\b|\brobot\b|\bmachine\b|\bhumain\b|\bvraie personne\b|\bpersonne reelle\b|\bun repondeur\b/,
  /\by a (?:quelqu un|quelque un)\b|\bil y a quelqu un\b/,
  /\barnaque\b/,
  /\bgratuit\w*|\bpayant\w*|\bengag\w*|\bfrais\b|\brembours\w*|\bpris en charge\b|\baides?\b|\bobligatoire\b|\bsondage\b|\bpub\b|\bpublicite\b/,
  /\b(?:une|des|ma|deux) questions?\b/,
  /\bexpliqu\w*|\bconsiste\b|\bprincipe\b|\bdetails?\b|\bprecis\w*/,
  /\bvous (?:vendez|proposez|voulez|cherchez|faites|appelez) (?:quoi|pour|de la part|pour quoi|au sujet)\b/,
  /\b(?:faut|faudrait) faire quoi\b|\bil faut faire quoi\b/,
  /\bvous etes (?:de|du|des) (?:la |le |l )?\w+/,
  /\bvous travaillez pour\b/,
  /\bvous appelez de\b/,
  /\b(?:votre|ton) (?:nom|numero|prenom|societe|entreprise)\b/,
  /\bmon numero\b/,
  /\bvous pouvez me (?:dire|donner|envoyer)\b/,
];
const QUESTION_ALONE = /^(?:quoi|hein|comment|pardon|allo|allo allo|allo allo allo|oui allo|allo oui allo|excusez moi|pardon madame|pardon monsieur|ce est qui|qui)$/;

// ---------------------------------------------------------------- hesitation ---------------------------
const UNSURE_STRONG: RegExp[] = [
  /\b(?:je |on )?(?:ne )?(?:sais|sait|savons) (?:pas|plus|rien|trop)\b/,
  /\ben sais rien\b|\baucune idee\b|\bje sais pas\b|\bche pas\b|\bchepa\b|\bje ce est pas\b|\bsais pas\b/,
  /(?<!\b(?:ca|cela|ce|il|elle|qui|on|ne|pas|doit|devrait|pourrait) )\bpeut etre\b(?! (?:interessant\w*|bien|utile|pas mal|sympa))|\bptet\b/,
  /\breflechi\w*|\breflexion\b|\bje reflechis\b/,
  /\b(?:en )?parler (?:a|avec)\b|\ben discuter\b|\bdiscuter avec\b|\bdemander (?:a|avis)\b|\bvoir avec\b|\ben parle\b/,
  /\b(?:faut|faudrait|il faut|il faudrait) (?:que je |que on |qu on )?(?:voir|voie|regarde\w*|reflechi\w*|consult\w*|verifi\w*)\b/,
  /\b(?:a voir|on verra|je verrai|je vais voir|on va voir|faut voir|je vais regarder|je dois regarder)\b/,
  /\bpas (?:tres |trop |vraiment |bien |encore |tout a fait |si )?(?:sur|sure|surs|certain|certaine|convaincu|convaincue|decide|decidee)\b/,
  /\bhesit\w*/,
  /\bca depend\b|\bdepend\b/,
  /\bpartage\b|\bpartagee\b|\bdifficile a dire\b|\bbonne question\b|\bca se peut\b/,
  /\bpas moi qui (?:decide|prend|prends|gere|me occupe|choisis)\b|\bqui (?:se |me )?(?:occupe|decide|gere) de (?:ca|cela|tout ca)\b|\bpas le decideur\b|\bpas (?:le|la) (?:decisionnaire|responsable)\b/,
  /\bje (?:me )?souviens (?:plus|pas)\b|\bje ne sais plus\b/,
  /\bme pose la question\b|\bje vais y penser\b|\by penser\b|\bje vais en parler\b/,
  /\bje vois pas trop\b|\bje sais pas trop\b/,
  /\b(?:dis|dit) pas oui\b/, // "je dis pas oui je dis pas non"
];
const UNSURE_WEAK: RegExp[] = [
  /\bbof\b/,
  /\bmouais\b/,
  /\beventuellement\b/,
  /\bpas forcement\b/,
  /\bpossible\b/,
  /\bje crois\b|\bje pense\b/,
  /^(?:hum|hmm|euh)$/,
];

// ---------------------------------------------------------------- polarity -----------------------------
// Idioms whose "pas"/"non" must not act as negation: replaced by a polarity token before scope analysis.
const AFFIRM_IDIOMS: [RegExp, string][] = [
  [/\bpourquoi pas\b/g, ' _aff_ '],
  [/\b(?:pas|aucun|sans) (?:de )?(?:probleme|problemes|souci|soucis)\b/g, ' _aff_ '],
  [/\b(?:ce est |ce ne est |ne est |est )?pas de refus\b/g, ' _aff_ '],
  [/\b(?:je |on )?(?:ne )?(?:dis|dit|dirais|dirai) pas non\b/g, ' _aff_ '],
  [/\b(?:je |on )?(?:ne )?(?:suis|serais|serai|sommes|serait|est) pas contre\b/g, ' _aff_ '],
  [/\bpas mal\b/g, ' _aff_ '],
  [/\b(?:ca |cela )?(?:ne )?(?:me |nous )(?:derange|gene|ennuie|embete)\w* pas\b/g, ' _aff_ '],
  [/\bpas (?:du tout )?(?:genant|derangeant)\b/g, ' _aff_ '],
  [/\bbien sur\b|\bbien entendu\b|\bbien evidemment\b/g, ' _aff_ '],
];
const DENY_IDIOMS: [RegExp, string][] = [
  [/\b(?:pas|hors de|aucune|sans) question\b/g, ' _den_ '],
  [/\b(?:certainement|surement|absolument|vraiment|franchement|carrement|pas du tout|toujours) pas\b|\bpas du tout\b|\bpas vraiment\b|\bpas trop\b|\baucunement\b|\bnullement\b|\bjamais de la vie\b/g, ' _den_ '],
  [/\baucun interet\b|\bvois pas (?:le |trop le |bien le )?interet\b|\bpas pour moi\b|\bsans facon\b|\bpasse mon tour\b|\blaissez tomber\b|\blaisse tomber\b/g, ' _den_ '],
  [/\b(?:ce est |ce ne est )?pas la peine\b|\binutile\b|\bca sert a rien\b|\bsert a rien\b/g, ' _den_ '],
  [/\btrop cher\b|\bpas les moyens\b|\bpas le budget\b|\bpas de budget\b|\bpas (?:de |d )?argent\b/g, ' _den_ '],
  [/\bdeja (?:equipe\w*|un fournisseur|un contrat|ce que il faut|tout|ce qu il faut|fait|eu|pris|un|une|des|le|la|les)\b/g, ' _den_ '],
  [/\b(?:tres )?bien comme ca\b|\bsatisfait\w*\b|\bmauvais numero\b|\bfaites erreur\b|\bfaux numero\b|\berreur de numero\b/g, ' _den_ '],
  [/\bce (?:ne )?est pas moi\b/g, ' _den_ '],
  [/\bdeja (?:client|cliente|abonne|abonnee|inscrit|inscrite|sous contrat|pris|servi)\b/g, ' _den_ '],
  [/\b(?:je )?(?:vais )?raccroch\w*/g, ' _den_ '],
  [/\bje refuse\b|\brefuse\b|\bprefere pas\b|\bpas necessaire\b|\bpas la peine\b|\bpas le temps pour (?:ca|ce|vos|votre|les|des)\b/g, ' _den_ '],
  [/\bpas (?:pour le moment|pour l instant|pour le instant|pour linstant|cette fois)\b/g, ' _den_ '],
  [/\bca va aller\b|\bca ira\b|\bnon merci\b|\bgentil mais\b/g, ' _den_ '],
  [/\b(?:je |on )?(?:ne )?(?:crois|pense|pensons|croit) pas\b/g, ' _den_ '],
  [/\bpas encore\b/g, ' _den_ '],
  [/\blocataire\b|\bpas proprietaire\b|\bpas concerne\w*\b/g, ' _den_ '],
];
const AFFIRM_WORDS =
  /\b(?:oui|daccord|ok|tout a fait|absolument|exactement|exact|evidemment|carrement|volontiers|avec plaisir|avec joie|avec grand plaisir|parfait|parfaitement|super|genial|nickel|tres bien|entendu|effectivement|en effet|ce est ca|ce est bien ca|ce est correct|correct|voila|affirmatif|ca marche|ca roule|allez y|vas y|allez|je vous ecoute|dites moi|dites|lui meme|elle meme|tout ouie|ce est moi|ce est bien moi|moi meme|ce est note|note|impeccable|top|cool|bonne idee|ca me plait|ca me ferait plaisir|interessant|certainement|surement|sur|si)\b/g;
const DENY_WORDS = /\b(?:non|jamais)\b/g;

// Predicates whose polarity flips under negation: "ça m'intéresse" / "ça m'intéresse pas".
const PREDICATES =
  /\b(?:interess\w*|besoin|envie|tente|tenterait|plait|plairait|convient|conviendrait|preneur|preneuse|partant|partante|partants|daccord|ok|interessant|interessante|possible|concerne|concernes|concernee)\b|\b(?:veux|voudrais|veut) bien\b|\b(?:ca|cela) (?:ne )?(?:me|nous) (?:dit|dirait|va|irait|conviendrait)\b|\ben veux\b|\bveux\b|\bvoudrais\b/g;
const NEGATORS = new Set(['pas', 'plus', 'jamais', 'rien', 'aucun', 'aucune', 'nullement', 'guere', 'point', 'moyen', 'moyennement', '_den_']);
const SCOPE_BREAK = new Set(['mais', 'et', 'si', 'ou', 'oui', 'non', 'car', 'parce', 'puis', '_aff_']);

interface PolarityEvent {
  pos: number;
  pol: 1 | -1;
  strong: boolean;
}

function negatedAt(tokens: string[], start: number, end: number): boolean {
  for (let j = start - 1; j >= Math.max(0, start - 4); j--) {
    const t = tokens[j]!;
    if (SCOPE_BREAK.has(t)) break;
    if (NEGATORS.has(t) || t === 'ne') return true;
  }
  for (let j = end; j < Math.min(tokens.length, end + 3); j++) {
    const t = tokens[j]!;
    if (SCOPE_BREAK.has(t) || t === 'que') break;
    // "plus" negates only right after the verb ("ça m'intéresse plus"), not in "en savoir plus"
    if (t === 'plus' && j > end && !['vraiment', 'du', 'tout', 'trop'].includes(tokens[j - 1]!)) continue;
    if (NEGATORS.has(t)) return true;
  }
  return false;
}

function polarityEvents(s: string): PolarityEvent[] {
  let x = ' ' + s + ' ';
  for (const [re, by] of AFFIRM_IDIOMS) x = x.replace(re, by);
  for (const [re, by] of DENY_IDIOMS) x = x.replace(re, by);
  x = x.replace(/\s+/g, ' ').trim();
  const tokens = x.split(' ');
  // char offset -> token index
  const starts: number[] = [];
  let off = 0;
  for (const t of tokens) {
    starts.push(off);
    off += t.length + 1;
  }
  const tokIdx = (charPos: number) => {
    let k = 0;
    while (k + 1 < starts.length && starts[k + 1]! <= charPos) k++;
    return k;
  };
  const ev: PolarityEvent[] = [];
  const taken = new Set<number>();
  tokens.forEach((t, i) => {
    if (t === '_aff_') ev.push({ pos: i, pol: 1, strong: true });
    if (t === '_den_') ev.push({ pos: i, pol: -1, strong: true });
  });
  for (const m of x.matchAll(PREDICATES)) {
    const i = tokIdx(m.index!);
    const j = tokIdx(m.index! + m[0].length - 1) + 1;
    for (let k = i; k < j; k++) taken.add(k);
    const neg = negatedAt(tokens, i, j);
    const bare = /^(?:veux|voudrais|en veux)$/.test(m[0]);
    if (bare && !neg) continue; // "je veux savoir..." is not a yes
    if (/^(?:possible)$/.test(m[0]) && !neg) continue; // weak, handled as hesitation cue
    ev.push({ pos: i, pol: neg ? -1 : 1, strong: true });
  }
  for (const m of x.matchAll(AFFIRM_WORDS)) {
    const i = tokIdx(m.index!);
    if (taken.has(i)) continue;
    if (m[0] === 'si') {
      // "si" is a yes only as an answer ("si", "si si", "ah si", "si ça m'intéresse"), not as "if"
      const next = tokens[i + 1];
      if (!(next === undefined || ['si', 'oui', '_aff_', 'finalement', 'bien', 'daccord', 'je', 'evidemment', 'absolument'].includes(next) || (next === 'ca' && tokens[i + 2] === 'me')))
        continue;
    }
    if (m[0] === 'sur' && tokens[i - 1] !== 'ah' && i !== 0) continue;
    if ((m[0] === 'certainement' || m[0] === 'surement') && tokens[i + 1] === 'pas') continue;
    const weak = ['allez', 'dites', 'correct', 'note', 'top', 'cool', 'sur', 'voila'].includes(m[0]);
    ev.push({ pos: i, pol: 1, strong: !weak });
  }
  for (const m of x.matchAll(DENY_WORDS)) {
    const i = tokIdx(m.index!);
    if (taken.has(i)) continue;
    ev.push({ pos: i, pol: -1, strong: true });
  }
  return ev.sort((a, b) => a.pos - b.pos);
}

// Context-dependent formulas: their meaning depends on the step.
function contextPolarity(s: string, step: string): 1 | -1 | 0 {
  const closing = step === 'confirm' || step === 'test_audio';
  if (/\bmerci\b|\bce est bon\b|\bca va\b|\bau revoir\b|\bbonne journee\b|\bbonne soiree\b/.test(s)) {
    if (/\bce est bon pour moi\b/.test(s)) return 1;
    return closing || step === 'q1' || step === 'q2' || step === 'q3' ? (/\bau revoir\b/.test(s) && !/\bmerci\b/.test(s) ? 0 : 1) : -1;
  }
  if (/\bje vous entends\b|\bje entends\b|\bson est bon\b|\bce est clair\b|\bce est bon\b/.test(s)) return 1;
  if (/\bje suis la\b/.test(s)) return 1;
  return 0;
}

// ---------------------------------------------------------------- main ---------------------------------
export interface Decision {
  intent: Intent;
  tier: Tier;
}

export function decide(text: string, context = ''): Decision {
  const n = normalize(text);
  if (!n) return { intent: 'unsure', tier: 'empty' };
  const s = ' ' + n + ' ';
  const step = context;

  // 1. opt-out outranks everything
  if (any(s, STOP) && (!STOP_GUARD.test(s) || STOP_GUARD_EXCEPT.test(s))) return { intent: 'stop', tier: 'stop' };

  // questions about the call itself that contain callback words ("pourquoi vous rappelez", "vous rappelez quand")
  const interrogative = /\bpourquoi\b(?! pas)|\bquand\s*$|\bquand est ce\b|\bquelle heure\b|\bquel jour\b|\bce est quand\b/.test(s);

  // 2. callback request / busy
  if (!interrogative && any(s, CALLBACK_REQUEST)) return { intent: 'callback', tier: 'callback_request' };

  // 3. questions
  if (QUESTION_ALONE.test(n) || any(s, QUESTION)) {
    // "est-ce que je peux réfléchir" style hesitations are handled by the unsure rules
    if (!(any(s, UNSURE_STRONG) && !/\bque est ce|\bqui\b|\bquoi\b|\bcombien\b|\bcomment\b/.test(s)))
      return { intent: 'question', tier: 'question_strong' };
  }

  const unsureStrong = any(s, UNSURE_STRONG);
  // 4. a time said without anything else ("ce soir", "lundi matin plutôt")
  // cheap pre-check before the calendar parser (keeps the embedded path well under a millisecond)
  const time = TIME_WORDS.test(s) ? extractCallbackTime(n, new Date(0), 'UTC') : undefined;
  if (time && time.kind !== 'vague' && !unsureStrong) return { intent: 'callback', tier: 'callback_time' };
  if (time && time.kind === 'vague' && TIME_ALONE_VAGUE.test(s) && !unsureStrong)
    return { intent: 'callback', tier: 'callback_time' };

  // 5. hesitation
  if (unsureStrong) return { intent: 'unsure', tier: 'unsure_strong' };

  // 6. polarity
  const ev = polarityEvents(n);
  if (ev.length) {
    const strong = ev.filter((e) => e.strong);
    const use = strong.length ? strong : ev;
    const pols = new Set(use.map((e) => e.pol));
    if (pols.size === 1) {
      const pol = use[0]!.pol;
      const weakOnly = !strong.length;
      if (pol === 1 && any(s, UNSURE_WEAK) && /\bmouais\b|\bbof\b/.test(s) && weakOnly) return { intent: 'unsure', tier: 'unsure_weak' };
      return { intent: pol === 1 ? 'affirm' : 'deny', tier: weakOnly ? 'polar_context' : 'polar_clear' };
    }
    // Conflict: "oui mais non", "oui non merci", "non en fait oui": the last word stands.
    const last = use[use.length - 1]!;
    return { intent: last.pol === 1 ? 'affirm' : 'deny', tier: 'polar_conflict' };
  }

  // 7. context formulas and weak cues
  const cp = contextPolarity(s, step);
  if (any(s, UNSURE_WEAK)) {
    if ((step === 'q1' || step === 'q2' || step === 'q3') && /\bje (?:crois|pense)\b/.test(s)) return { intent: 'affirm', tier: 'polar_context' };
    if (cp === 0 || /\bbof\b|\bmouais\b/.test(s)) return { intent: 'unsure', tier: 'unsure_weak' };
  }
  if (cp !== 0) return { intent: cp === 1 ? 'affirm' : 'deny', tier: 'polar_context' };
  if (time) return { intent: 'callback', tier: 'callback_time' };
  return { intent: 'unsure', tier: 'fallback' };
}

/**
 * Classifies one utterance (ASR text) at a scenario step. Pure: the callback time is read against opts.now (none
 * without it) and latencyMs is measured only with the caller's opts.clock, so nothing here reads the clock.
 */
export function classify(text: string, opts: ClassifyOptions = {}): IntentResult {
  const t0 = opts.clock?.() ?? 0;
  const { intent, tier } = decide(typeof text === 'string' ? text : '', opts.context ?? '');
  const confidence = CALIBRATION[tier] ?? TIER_PRIOR[tier];
  const result: IntentResult = { intent, confidence, method: 'embedded', latencyMs: 0 };
  if (intent === 'callback' && opts.now) {
    const cb = extractCallbackTime(text, opts.now, opts.timeZone ?? 'Europe/Paris');
    if (cb) result.callbackTime = cb;
  }
  if (opts.clock) result.latencyMs = opts.clock() - t0;
  return result;
}
