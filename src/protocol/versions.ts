/**
 * Protocol versions we speak, preferred first. The specification's text
 * names QOSST/0.1; the deployed Python suite sends and requires QOSST/0.2
 * with the same codes and messages (wire notes 11).
 */
export const QOSST_VERSIONS: readonly string[] = ['QOSST/0.2', 'QOSST/0.1'];
