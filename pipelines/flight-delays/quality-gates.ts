/**
 * The promotion gates of the flight-delay model, as a pure function so the asset that moves the
 * `champion` alias and the blocking checks that report the gates decide from the same numbers:
 * AUC at least a floor, and not worse than the current champion (scored on the same evaluation
 * month) by more than a tolerance.
 *
 * @example
 * ```ts
 * const gates = evaluateGates({ auc: 0.79, championAuc: 0.792, aucFloor: 0.6, aucTolerance: 0.005 });
 * gates.passed; // true: 0.79 >= 0.6 and 0.79 >= 0.792 - 0.005
 * ```
 */

/** One gate's verdict. */
export interface GateResult {
  passed: boolean;
  /** Says what was compared, with the numbers. */
  description: string;
}

/** The verdicts of both gates. */
export interface GateResults {
  /** True when every gate passed (the model may become champion). */
  passed: boolean;
  aucFloor: GateResult;
  notWorseThanChampion: GateResult;
}

/** Inputs of {@link evaluateGates}. */
export interface GateInputs {
  /** The candidate's AUC on the evaluation month. */
  auc: number;
  /** The champion's AUC on the same rows; undefined when there is no champion yet. */
  championAuc: number | undefined;
  /** Champion's version number, for messages. Default none. */
  championVersion?: string;
  aucFloor: number;
  aucTolerance: number;
}

/** Decides both gates. NaN AUCs fail. */
export function evaluateGates(inputs: GateInputs): GateResults {
  const { auc, championAuc, aucFloor, aucTolerance } = inputs;
  const fmt = (x: number): string => x.toFixed(4);
  const floorPassed = auc >= aucFloor;
  const aucFloorResult: GateResult = {
    passed: floorPassed,
    description: `AUC ${fmt(auc)} ${floorPassed ? '>=' : '<'} floor ${fmt(aucFloor)}.`,
  };
  let champion: GateResult;
  if (championAuc === undefined) {
    champion = { passed: Number.isFinite(auc), description: 'No champion yet: nothing to compare with.' };
  } else {
    const limit = championAuc - aucTolerance;
    const passed = auc >= limit;
    const who = inputs.championVersion === undefined ? 'champion' : `champion v${inputs.championVersion}`;
    champion = {
      passed,
      description:
        `AUC ${fmt(auc)} vs ${who} ${fmt(championAuc)} on the same month ` +
        `(tolerance ${fmt(aucTolerance)}): ${passed ? 'not worse' : 'worse'}.`,
    };
  }
  return {
    passed: aucFloorResult.passed && champion.passed,
    aucFloor: aucFloorResult,
    notWorseThanChampion: champion,
  };
}
