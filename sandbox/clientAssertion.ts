/**
 * Entra's check of a certificate client assertion (private_key_jwt): a JWT signed with the key of a
 * certificate registered on the app, naming the app as issuer and subject and the token endpoint as
 * audience, not expired. Answers the problem in Entra's words, or undefined when it holds.
 */
import { X509Certificate, constants, createHash, verify } from "node:crypto";

export interface AssertionExpectations {
  readonly clientId: string;
  /** The token endpoint the assertion was sent to. */
  readonly audience: string;
  readonly nowInMs: number;
}

interface JwtHeader {
  readonly alg?: string;
  readonly x5t?: string;
  readonly "x5t#S256"?: string;
}
interface JwtPayload {
  readonly aud?: string;
  readonly iss?: string;
  readonly sub?: string;
  readonly exp?: number;
  readonly nbf?: number;
}

const decode = <T>(part: string | undefined): T | undefined => {
  try {
    return JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as T;
  } catch {
    return undefined;
  }
};

export function certificateAssertionProblem(assertion: string, certificatePem: string, expected: AssertionExpectations): string | undefined {
  const [headerPart, payloadPart, signaturePart] = assertion.split(".");
  const header = decode<JwtHeader>(headerPart);
  const payload = decode<JwtPayload>(payloadPart);
  if (!header || !payload || signaturePart === undefined) return "AADSTS50027: Invalid JWT token. Token format not valid.";
  const certificate = new X509Certificate(certificatePem);
  const thumbprint = (algorithm: string) => createHash(algorithm).update(certificate.raw).digest("base64url");
  const named = header["x5t#S256"] === thumbprint("sha256") || header.x5t === thumbprint("sha1");
  if (!named) return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.";
  const signed = `${headerPart}.${payloadPart}`;
  const signature = Buffer.from(signaturePart, "base64url");
  const key = certificate.publicKey;
  const valid =
    header.alg === "RS256"
      ? verify("sha256", Buffer.from(signed), key, signature)
      : header.alg === "PS256"
        ? verify("sha256", Buffer.from(signed), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
        : false;
  if (!valid) return "AADSTS700027: Client assertion failed signature validation.";
  if (payload.aud !== expected.audience) return `AADSTS700212: No matching audience: expected ${expected.audience}, got ${String(payload.aud)}.`;
  if (payload.iss !== expected.clientId || payload.sub !== expected.clientId) return "AADSTS700023: Client assertion issuer and subject must be the client id.";
  const nowInSeconds = expected.nowInMs / 1000;
  if ((payload.exp ?? 0) < nowInSeconds || (payload.nbf ?? 0) > nowInSeconds + 300) return "AADSTS700024: Client assertion is not within its valid time range.";
  return undefined;
}
