/* cradle-explain-table.c: what each CA code and failure means, and what to do next
 *
 * One table for the CLI, the app and the journal.  Each entry: the code,
 * the name a support person searches for, one sentence for the user
 * (what happened and why), one for the user's next step, one for support.
 * CERTSRV_E_* codes and texts follow protocols.md section 4 and the
 * Windows error tables; the advice is Cradle's.
 */
#include "config.h"

#include "base/cradle-explain-private.h"

#define ENTRY(kind, code, name, summary, user, support) \
  { CRADLE_EXPLAIN_##kind, code, name, summary, user, support, FALSE }
#define GENERIC(kind, code, name, summary, user, support) \
  { CRADLE_EXPLAIN_##kind, code, name, summary, user, support, TRUE }

#define ASK_ADMIN_TYPE "Ask your administrator to check this certificate type."
#define NO_ATTESTATION_USER "Ask your administrator for a certificate type without key attestation."
#define NO_ATTESTATION_SUPPORT                                                          \
  "Cradle devices cannot attest their keys with a TPM; remove ATTEST_REQUIRED and the " \
  "EK settings from the template's msPKI-Private-Key-Flag, or use another template."
#define NO_RA_USER "Ask your administrator for a certificate type that needs no enrollment agent."
#define TRY_LATER "Try again later; if it keeps failing, ask your administrator."
#define SIGN_IN_AGAIN \
  "Sign in to the domain again (lock and unlock your session, or run kinit), then try again."
#define CHECK_NETWORK \
  "Check that you are connected to your organisation's network or VPN, then try again."
#define REPORT "Report this to support with the output of 'cradlectl log'."

static const CradleExplanation table[] = {
  /* ---- CERTSRV_E_*: the CA's own refusals ---------------------------- */
  ENTRY (HRESULT, 0x80094001, "CERTSRV_E_BAD_REQUESTSUBJECT",
         "The CA refused the request because its subject name is not valid or is too long.",
         ASK_ADMIN_TYPE,
         "Check the subject the template builds (msPKI-Certificate-Name-Flag) and the directory "
         "attributes it takes, such as an overlong common name or characters the CA rejects."),
  ENTRY (HRESULT, 0x80094002, "CERTSRV_E_NO_REQUEST",
         "The CA has no request with the number Cradle asked about.",
         "Enroll the device again; this request cannot be retrieved.",
         "Compare the request id in 'cradlectl pending --json' with the CA database "
         "(certutil -view); the request may have been deleted, or Cradle asked another CA."),
  ENTRY (HRESULT, 0x80094003, "CERTSRV_E_BAD_REQUESTSTATUS",
         "The CA says the request's current state does not allow what Cradle asked, for example "
         "retrieving a request that was denied.",
         "Check the request with 'cradlectl pending'; if it cannot finish, enroll the device again.",
         "Look the request up on the CA (certutil -view -restrict RequestId==N) to see its "
         "disposition and status code."),
  ENTRY (HRESULT, 0x80094004, "CERTSRV_E_PROPERTY_EMPTY",
         "The CA returned an empty value; on the web enrollment pages this means it does not "
         "know the request number.",
         "Enroll the device again if the request cannot be found; otherwise ask your administrator.",
         "Check that the request id exists on this CA; 'Issued 0x80094004' from WSTEP only says "
         "the enrollee has no e-mail address and is informational."),
  ENTRY (HRESULT, 0x80094005, "CERTSRV_E_INVALID_CA_CERTIFICATE",
         "The CA's own certificate contains data the certificate service considers invalid.",
         "Ask your administrator; the certification authority needs attention.",
         "Check the CA certificate and its chain on the CA server (certutil -verify) and renew "
         "it if needed."),
  ENTRY (HRESULT, 0x80094006, "CERTSRV_E_SERVER_SUSPENDED",
         "The certificate service is suspended while its database is restored.",
         TRY_LATER,
         "Finish the CA database restore and restart the Certificate Services service."),
  ENTRY (HRESULT, 0x80094009, "CERTSRV_E_RESTRICTEDOFFICER",
         "The CA refused the operation because the certificate manager may not manage "
         "certificates for this requester.",
         "Ask your administrator to have the request handled by a certificate manager allowed "
         "to manage it.",
         "Review the certificate manager restrictions on the CA (Certificate Managers tab) for "
         "the requester's groups."),
  ENTRY (HRESULT, 0x8009400A, "CERTSRV_E_KEY_ARCHIVAL_NOT_CONFIGURED",
         "The certificate type asks the CA to archive the private key, and the CA is not set up "
         "for key archival.",
         "Ask your administrator for a certificate type without key archival.",
         "Cradle never exports device keys; give device users a template without "
         "REQUIRE_PRIVATE_KEY_ARCHIVAL."),
  ENTRY (HRESULT, 0x8009400B, "CERTSRV_E_NO_VALID_KRA",
         "The CA cannot archive the key because it could not verify any key recovery agent "
         "certificate.",
         "Ask your administrator for a certificate type without key archival.",
         "Check the CA's key recovery agent certificates; for Cradle devices use a template "
         "without key archival."),
  ENTRY (HRESULT, 0x8009400E, "CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE",
         "The request carries a renewal certificate attribute the CA considers invalid.",
         "Enroll for a new certificate instead of renewing.",
         "Check the renewal certificate in the request: it must be valid, issued by this CA and "
         "match the template."),
  ENTRY (HRESULT, 0x80094011, "CERTSRV_E_ENROLL_DENIED",
         "The CA's permissions do not allow your account to request certificates from it.",
         "Ask your administrator for the Request Certificates permission on this CA.",
         "Grant the user or one of their groups Request Certificates on the CA's Security tab, "
         "then have the user sign in again so their groups refresh."),
  ENTRY (HRESULT, 0x80094012, "CERTSRV_E_TEMPLATE_DENIED",
         "The certificate template's permissions do not allow your account to enroll for this "
         "type of certificate.",
         "Ask your administrator to give you the Enroll permission on this certificate type.",
         "Add Enroll for the user or one of their groups on the template's Security tab, then "
         "have the user sign in again so their groups refresh."),
  ENTRY (HRESULT, 0x80094013, "CERTSRV_E_DOWNLEVEL_DC_SSL_OR_UPGRADE",
         "The domain controller the CA contacted cannot sign LDAP traffic, so the CA could not "
         "read the directory.",
         "Ask your administrator; the CA cannot work with the domain controller.",
         "Upgrade the domain controller, or configure Certificate Services to reach the "
         "directory over LDAPS."),
  ENTRY (HRESULT, 0x80094014, "CERTSRV_E_ADMIN_DENIED_REQUEST",
         "A certificate manager or CA administrator denied the request.",
         "Ask your administrator why the request was denied before you try again.",
         "Find the request among the CA's Failed Requests and the officer's reason; resubmit "
         "only once that is resolved."),
  ENTRY (HRESULT, 0x80094015, "CERTSRV_E_NO_POLICY_SERVER",
         "No enrollment policy server could be found.",
         "Ask your administrator to check the policy server address of this certificate type.",
         "Check the MS-XCEP policy URL in the certificate type and that the policy web service "
         "is running."),
  ENTRY (HRESULT, 0x80094016, "CERTSRV_E_WEAK_SIGNATURE_OR_KEY",
         "The request's signature algorithm or key size is weaker than the CA accepts.",
         "Ask your administrator for a certificate type with a stronger key.",
         "Raise the template's minimum key size or hash algorithm; Cradle follows "
         "msPKI-Minimal-Key-Size and the template's CNG hash algorithm."),
  ENTRY (HRESULT, 0x80094017, "CERTSRV_E_KEY_ATTESTATION_NOT_SUPPORTED",
         "The certificate type asks for key attestation, which this device cannot provide.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x80094018, "CERTSRV_E_ENCRYPTION_CERT_REQUIRED",
         "The CA expected an encryption certificate with the request, and none was given.",
         "Ask your administrator for a certificate type without key archival or attestation.",
         "The template or CA expects key archival or attestation with an encryption certificate; "
         "give Cradle devices a template without either."),
  ENTRY (HRESULT, 0x80094800, "CERTSRV_E_UNSUPPORTED_CERT_TYPE",
         "The certificate template is not published on this CA.",
         "Ask your administrator to publish this certificate type on the CA, or choose another one.",
         "Add the template to the CA's Certificate Templates to Issue (certutil -SetCATemplates "
         "+Name) and wait for directory replication."),
  ENTRY (HRESULT, 0x80094801, "CERTSRV_E_NO_CERT_TYPE",
         "The request did not say which certificate template it is for.",
         REPORT,
         "Check the template name extension and the CertificateTemplate attribute in the request "
         "saved in the journal ('cradlectl log --json')."),
  ENTRY (HRESULT, 0x80094802, "CERTSRV_E_TEMPLATE_CONFLICT",
         "The request names its certificate template in more than one way, and the names do not "
         "agree.",
         REPORT,
         "Compare the template name extension, the template OID extension and the "
         "CertificateTemplate attribute of the request; all must name the same template."),
  ENTRY (HRESULT, 0x80094803, "CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED",
         "The CA requires a subject alternative name, and the request has none.",
         ASK_ADMIN_TYPE,
         "The template wants an enrollee-supplied alternative name; check the user's UPN and mail "
         "attributes and the template's msPKI-Certificate-Name-Flag."),
  ENTRY (HRESULT, 0x80094804, "CERTSRV_E_ARCHIVED_KEY_REQUIRED",
         "The certificate type requires the private key to be archived on the CA, which Cradle "
         "never does.",
         "Ask your administrator for a certificate type without key archival.",
         "Device keys never leave the device; remove REQUIRE_PRIVATE_KEY_ARCHIVAL from the "
         "template or use another one."),
  ENTRY (HRESULT, 0x80094805, "CERTSRV_E_SMIME_REQUIRED",
         "The CA requires an S/MIME capabilities extension in the request.",
         "Ask your administrator for a certificate type meant for devices.",
         "The template sets INCLUDE_SYMMETRIC_ALGORITHMS; clear it or use a template that does "
         "not require S/MIME capabilities."),
  ENTRY (HRESULT, 0x80094806, "CERTSRV_E_BAD_RENEWAL_SUBJECT",
         "The request was made on behalf of someone else, which this certificate type allows "
         "only with an authorising signature.",
         ASK_ADMIN_TYPE,
         "On-behalf-of requests need a template that requires at least one enrollment agent "
         "signature; check the subject the request carries."),
  ENTRY (HRESULT, 0x80094807, "CERTSRV_E_BAD_TEMPLATE_VERSION",
         "The request names a newer version of the certificate template than the CA knows.",
         "Try again later; the CA may not have seen the latest version of the certificate type.",
         "Wait for directory replication to reach the CA, or restart Certificate Services so it "
         "reloads the templates."),
  ENTRY (HRESULT, 0x80094808, "CERTSRV_E_TEMPLATE_POLICY_REQUIRED",
         "The certificate template lacks a signature policy attribute the CA requires.",
         ASK_ADMIN_TYPE,
         "Check the template's issuance requirements (msPKI-RA-Policies); Cradle cannot add "
         "enrollment agent signatures."),
  ENTRY (HRESULT, 0x80094809, "CERTSRV_E_SIGNATURE_POLICY_REQUIRED",
         "The request lacks signature policy information the certificate type requires.",
         NO_RA_USER,
         "The template requires signatures with given policies (msPKI-RA-Policies), which Cradle "
         "requests cannot carry; use a template without issuance requirements."),
  ENTRY (HRESULT, 0x8009480A, "CERTSRV_E_SIGNATURE_COUNT",
         "The request lacks signatures the certificate type requires from an enrollment agent.",
         NO_RA_USER,
         "The template sets msPKI-RA-Signature above zero; Cradle cannot provide enrollment "
         "agent signatures."),
  ENTRY (HRESULT, 0x8009480B, "CERTSRV_E_SIGNATURE_REJECTED",
         "One or more signatures on the request lack the application or issuance policies the "
         "certificate type requires.",
         NO_RA_USER,
         "Check the template's msPKI-RA-Application-Policies; Cradle requests carry only the "
         "device's own signature."),
  ENTRY (HRESULT, 0x8009480C, "CERTSRV_E_ISSUANCE_POLICY_REQUIRED",
         "The request lacks one or more issuance policies the certificate type requires.",
         ASK_ADMIN_TYPE,
         "Check the template's issuance policy requirements (msPKI-RA-Policies, "
         "ISSUANCE_POLICIES_FROM_REQUEST)."),
  ENTRY (HRESULT, 0x8009480D, "CERTSRV_E_SUBJECT_UPN_REQUIRED",
         "The CA could not put your user principal name in the certificate because your account "
         "has none.",
         "Ask your administrator to set a user logon name (UPN) on your account.",
         "Set userPrincipalName on the account, or clear SUBJECT_ALT_REQUIRE_UPN on the template."),
  ENTRY (HRESULT, 0x8009480E, "CERTSRV_E_SUBJECT_DIRECTORY_GUID_REQUIRED",
         "The CA could not put the account's directory GUID in the certificate.",
         "Ask your administrator for a certificate type meant for users.",
         "The template sets SUBJECT_ALT_REQUIRE_DIRECTORY_GUID, which suits computer accounts; "
         "use a user template for devices."),
  ENTRY (HRESULT, 0x8009480F, "CERTSRV_E_SUBJECT_DNS_REQUIRED",
         "The CA could not put a DNS name in the certificate because the account has none.",
         "Ask your administrator for a certificate type meant for users.",
         "The template requires a DNS name (SUBJECT_ALT_REQUIRE_DNS or "
         "SUBJECT_REQUIRE_DNS_AS_CN), and the enrolling account has no dNSHostName."),
  ENTRY (HRESULT, 0x80094810, "CERTSRV_E_ARCHIVED_KEY_UNEXPECTED",
         "The request includes a key for archival, and this certificate type does not archive "
         "keys.",
         REPORT,
         "Cradle never sends private keys; check that the request came from Cradle and collect "
         "the journal."),
  ENTRY (HRESULT, 0x80094811, "CERTSRV_E_KEY_LENGTH",
         "The device's key is smaller than the certificate type's minimum size.",
         "Ask your administrator whether this device supports the key size the certificate type "
         "needs.",
         "Compare the template's msPKI-Minimal-Key-Size with the key types the device offers "
         "('cradlectl devices --json')."),
  ENTRY (HRESULT, 0x80094812, "CERTSRV_E_SUBJECT_EMAIL_REQUIRED",
         "The CA could not put your e-mail address in the certificate because your account has "
         "none.",
         "Ask your administrator to set an e-mail address on your account.",
         "Set the mail attribute on the account, or clear SUBJECT_ALT_REQUIRE_EMAIL and "
         "SUBJECT_REQUIRE_EMAIL on the template."),
  ENTRY (HRESULT, 0x80094813, "CERTSRV_E_UNKNOWN_CERT_TYPE",
         "The CA could not find one or more of its certificate templates in the directory.",
         "Ask your administrator; the CA's list of certificate types is out of date.",
         "Check that each template the CA issues exists under CN=Certificate Templates and that "
         "replication has finished."),
  ENTRY (HRESULT, 0x80094814, "CERTSRV_E_CERT_TYPE_OVERLAP",
         "The certificate type's renewal period is longer than its validity period, so the CA "
         "cannot issue it.",
         "Ask your administrator to correct this certificate type.",
         "Make the template's pKIOverlapPeriod shorter than its pKIExpirationPeriod, or renew "
         "the CA certificate if it limits validity."),
  ENTRY (HRESULT, 0x80094815, "CERTSRV_E_TOO_MANY_SIGNATURES",
         "The certificate type requires more enrollment agent signatures than the CA allows.",
         "Ask your administrator to correct this certificate type.",
         "Set msPKI-RA-Signature on the template to at most one."),
  ENTRY (HRESULT, 0x80094816, "CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY",
         "The certificate type requires renewal with the same key, and the request uses a new "
         "key.",
         "Enroll for a new certificate instead of renewing.",
         "The template sets REQUIRE_SAME_KEY_RENEWAL; Cradle makes a new key for each "
         "enrollment."),
  ENTRY (HRESULT, 0x80094817, "CERTSRV_E_INVALID_EK",
         "The CA could not verify the endorsement key information that key attestation needs.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x80094818, "CERTSRV_E_INVALID_IDBINDING",
         "The CA could not validate the attestation identity key binding of the request.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x80094819, "CERTSRV_E_INVALID_ATTESTATION",
         "The CA could not validate the key attestation data of the request.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x8009481A, "CERTSRV_E_KEY_ATTESTATION",
         "The request does not carry the key attestation the certificate type requires.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x8009481B, "CERTSRV_E_CORRUPT_KEY_ATTESTATION",
         "The request's public key does not match its key attestation data.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x8009481C, "CERTSRV_E_EXPIRED_CHALLENGE",
         "The key attestation challenge expired before it could be validated.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x8009481D, "CERTSRV_E_INVALID_RESPONSE",
         "The CA could not validate the answer to its key attestation challenge.",
         NO_ATTESTATION_USER, NO_ATTESTATION_SUPPORT),
  ENTRY (HRESULT, 0x8009481E, "CERTSRV_E_INVALID_REQUESTID",
         "The CA found no valid request number in what Cradle sent.",
         "Enroll the device again.",
         "Compare the request id Cradle keeps ('cradlectl pending --json') with the CA database; "
         "the request may have been removed."),
  ENTRY (HRESULT, 0x8009481F, "CERTSRV_E_REQUEST_PRECERTIFICATE_MISMATCH",
         "The request does not match the precertificate the CA made for it earlier.",
         "Enroll the device again.",
         "The CA issues certificate transparency precertificates and a resubmitted request must "
         "be identical; start over with a new request."),
  ENTRY (HRESULT, 0x80094820, "CERTSRV_E_PENDING_CLIENT_RESPONSE",
         "The CA is waiting for an answer from the client before it can go on with this request.",
         "Enroll the device again.",
         "The request is locked by a challenge exchange Cradle does not take part in; deny it on "
         "the CA."),
  ENTRY (HRESULT, 0x80094821, "CERTSRV_E_SEC_EXT_DIRECTORY_SID_REQUIRED",
         "The CA could not put your account's security identifier in the certificate.",
         "Ask your administrator; the CA could not find your account's SID.",
         "The CA adds the SID security extension; check that the requester's account can be "
         "looked up by the CA and that its objectSid is readable."),

  /* ---- other HRESULTs CAs and their web services return -------------- */
  ENTRY (HRESULT, 0x80004005, "E_FAIL",
         "The CA reported an unspecified failure.",
         TRY_LATER,
         "Check the CA's Application event log (source CertificationAuthority) at the time of "
         "the request."),
  ENTRY (HRESULT, 0x80070005, "E_ACCESSDENIED",
         "The CA or its enrollment web service refused access to your account.",
         "Ask your administrator to check your permissions on the CA.",
         "Check the CA's Request Certificates permission and the web service's authentication; "
         "a CES on another host needs Kerberos delegation to the CA."),
  ENTRY (HRESULT, 0x8007000D, "ERROR_INVALID_DATA",
         "The CA found the request's data invalid.",
         REPORT,
         "Check the request saved in the journal with 'openssl req -inform DER -text'; the CA's "
         "event log names the field it rejected."),
  ENTRY (HRESULT, 0x80070057, "E_INVALIDARG",
         "The CA or its enrollment web service rejected a parameter of the request.",
         REPORT,
         "A WSTEP fault 'The EncodingType is invalid' means a wrong ValueType or EncodingType; "
         "check the web service's log and the journal."),
  ENTRY (HRESULT, 0x800706BA, "RPC_S_SERVER_UNAVAILABLE",
         "The enrollment web service could not reach the CA behind it.",
         TRY_LATER,
         "Check that the CA service runs and is reachable over RPC from the web service host, "
         "and that the web service may delegate to it."),
  ENTRY (HRESULT, 0x80090006, "NTE_BAD_SIGNATURE",
         "The CA could not verify the signature on the request.",
         REPORT,
         "The device's signature did not verify on the CA; check the signature algorithm and "
         "that nothing changed the request on the way."),
  ENTRY (HRESULT, 0x80090008, "NTE_BAD_ALGID",
         "The CA does not support an algorithm the request uses.",
         ASK_ADMIN_TYPE,
         "Compare the template's key and hash algorithms with what the CA's cryptographic "
         "provider supports."),
  ENTRY (HRESULT, 0x80092004, "CRYPT_E_NOT_FOUND",
         "The CA could not find an object or property it needed for the request.",
         "Ask your administrator; the certification authority needs attention.",
         "Often the CA's own certificate or key cannot be found; check the CA's event log and "
         "run certutil -verifykeys on it."),
  ENTRY (HRESULT, 0x80092012, "CRYPT_E_NO_REVOCATION_CHECK",
         "The CA could not check whether a certificate involved in the request is revoked.",
         TRY_LATER,
         "Check that the CRL distribution points of the CA's chain are reachable from the CA."),
  ENTRY (HRESULT, 0x80092013, "CRYPT_E_REVOCATION_OFFLINE",
         "The CA could not check revocation because the revocation server is offline.",
         TRY_LATER,
         "Publish fresh CRLs (certutil -CRL) and check that the CRL locations are reachable "
         "from the CA."),
  ENTRY (HRESULT, 0x800B0101, "CERT_E_EXPIRED",
         "A certificate the CA needed for the request has expired.",
         "Ask your administrator; the certification authority needs attention.",
         "Check the validity of the CA's chain and of any signing certificate in the request."),
  ENTRY (HRESULT, 0x800B0109, "CERT_E_UNTRUSTEDROOT",
         "The CA does not trust the root of a certificate chain in the request.",
         "Ask your administrator; the certification authority needs attention.",
         "Check the CA's trusted roots, and NTAuthCertificates for enrollment agent certificates."),
  ENTRY (HRESULT, 0x800B010A, "CERT_E_CHAINING",
         "The CA could not build a certificate chain to a trusted root.",
         "Ask your administrator; the certification authority needs attention.",
         "Check the AIA locations and the intermediate certificates available to the CA."),

  /* ---- dispositions (ICertRequest) ----------------------------------- */
  ENTRY (DISPOSITION, 0, "CR_DISP_INCOMPLETE",
         "The CA has not finished processing the request.",
         "Wait; Cradle asks the CA again by itself, or run 'cradlectl retrieve'.",
         "Look for the request among the CA's pending and failed requests."),
  ENTRY (DISPOSITION, 1, "CR_DISP_ERROR",
         "The CA failed while processing the request.",
         TRY_LATER,
         "Look up the request's status code in the CA database (certutil -view) and the CA's "
         "event log."),
  ENTRY (DISPOSITION, 2, "CR_DISP_DENIED",
         "The CA denied the request.",
         "Ask your administrator why the request was denied before you try again.",
         "The CA's status code beside this disposition says why; see 'cradlectl log'."),
  ENTRY (DISPOSITION, 3, "CR_DISP_ISSUED",
         "The CA issued the certificate.",
         "Nothing to do; Cradle installs the certificate on the device.",
         "Nothing to check unless the installation failed; see 'cradlectl log'."),
  ENTRY (DISPOSITION, 4, "CR_DISP_ISSUED_OUT_OF_BAND",
         "The CA says the certificate was issued separately, outside this request.",
         "Ask your administrator how the certificate will reach your device.",
         "Find the certificate issued for this request in the CA database and deliver it."),
  ENTRY (DISPOSITION, 5, "CR_DISP_UNDER_SUBMISSION",
         "The request is waiting for a certificate manager to approve it.",
         "Wait for the approval; Cradle asks the CA again by itself, or run 'cradlectl retrieve'.",
         "Approve or deny the request among the CA's Pending Requests; Cradle polls with "
         "back-off."),
  ENTRY (DISPOSITION, 6, "CR_DISP_REVOKED",
         "The certificate issued for this request has been revoked.",
         "Ask your administrator why it was revoked, then enroll the device again.",
         "Check the revocation reason in the CA database."),

  /* ---- SCEP failInfo (RFC 8894) -------------------------------------- */
  ENTRY (SCEP_FAIL_INFO, 0, "badAlg",
         "The SCEP server does not support an algorithm the request uses.",
         ASK_ADMIN_TYPE,
         "Compare the server's GetCACaps with what Cradle used; enable SHA-256 and AES on the "
         "SCEP server."),
  ENTRY (SCEP_FAIL_INFO, 1, "badMessageCheck",
         "The SCEP server could not verify the integrity of the message.",
         REPORT,
         "The server could not check the message's signature or decrypt it; check that Cradle "
         "used the current CA or RA certificate (GetCACert)."),
  ENTRY (SCEP_FAIL_INFO, 2, "badRequest",
         "The SCEP server refused the request, for example because the challenge password is "
         "wrong or it already issued a certificate for this name.",
         "Ask your administrator for a new challenge password or to revoke the old certificate, "
         "then try again.",
         "Check the SCEP server's log; micromdm refuses a second certificate for a subject it "
         "already issued unless renewal is allowed."),
  ENTRY (SCEP_FAIL_INFO, 3, "badTime",
         "The SCEP server rejected the message because its time is too far from the server's.",
         "Check that this computer's date and time are right, then try again.",
         "Compare the clocks of the desktop and the SCEP server; the message's signing time is "
         "checked."),
  ENTRY (SCEP_FAIL_INFO, 4, "badCertId",
         "The SCEP server could not find the certificate or request the message refers to.",
         "Enroll the device again.",
         "The poll or query named an issuer, serial or transaction the server does not know; it "
         "may have lost the request."),

  /* ---- HTTP statuses (EST and the web endpoints) --------------------- */
  ENTRY (HTTP_STATUS, 202, "HTTP 202 Accepted",
         "The server accepted the request and will decide later; it is waiting for approval.",
         "Wait; Cradle asks again after the delay the server gave.",
         "Approve the request on the EST server or the CA behind it; Cradle resends the same "
         "request after Retry-After."),
  ENTRY (HTTP_STATUS, 400, "HTTP 400 Bad Request",
         "The server said the request was malformed.",
         REPORT,
         "Check the server's log for what it could not parse; EST expects application/pkcs10 "
         "in base64."),
  ENTRY (HTTP_STATUS, 401, "HTTP 401 Unauthorized",
         "The server needs you to sign in, and the credentials Cradle sent were missing or not "
         "accepted.",
         SIGN_IN_AGAIN,
         "Check which authentication the endpoint accepts (Negotiate, Basic, client "
         "certificate) and that the user's ticket or password works for it."),
  ENTRY (HTTP_STATUS, 403, "HTTP 403 Forbidden",
         "The server knows who you are and does not allow you to enroll there.",
         "Ask your administrator for permission to enroll with this certificate type.",
         "Check the endpoint's authorisation rules for the user and their groups."),
  ENTRY (HTTP_STATUS, 404, "HTTP 404 Not Found",
         "The server has nothing at the address Cradle used.",
         "Ask your administrator to check the server address of this certificate type.",
         "Check the endpoint URL: /.well-known/est/ and the CA label for EST, "
         "/certsrv/certfnsh.asp for web enrollment, service.svc/CES for WSTEP."),
  ENTRY (HTTP_STATUS, 407, "HTTP 407 Proxy Authentication Required",
         "The proxy between you and the server needs you to sign in to it.",
         "Check your proxy settings, then try again.",
         "Configure the proxy's credentials, or exempt the CA's host from the proxy (no_proxy)."),
  ENTRY (HTTP_STATUS, 413, "HTTP 413 Content Too Large",
         "The server refused the request because it is too large.",
         REPORT,
         "Raise the server's request size limit, or check why the request is unusually large."),
  ENTRY (HTTP_STATUS, 429, "HTTP 429 Too Many Requests",
         "The server is receiving too many requests and asked Cradle to slow down.",
         "Wait a while; Cradle tries again later by itself.",
         "Check the server's rate limits and the Retry-After it sends."),
  ENTRY (HTTP_STATUS, 500, "HTTP 500 Internal Server Error",
         "The server failed while handling the request.",
         TRY_LATER,
         "Check the server's log; a WSTEP 500 carries a SOAP fault whose ErrorCode is explained "
         "separately."),
  ENTRY (HTTP_STATUS, 502, "HTTP 502 Bad Gateway",
         "A gateway or proxy in front of the server got no valid answer from it.",
         TRY_LATER,
         "Check the reverse proxy and that the enrollment service behind it is running."),
  ENTRY (HTTP_STATUS, 503, "HTTP 503 Service Unavailable",
         "The server is unavailable for the moment.",
         "Try again later; Cradle keeps the request.",
         "Check that the enrollment service and its application pool are running."),
  ENTRY (HTTP_STATUS, 504, "HTTP 504 Gateway Timeout",
         "A gateway or proxy in front of the server gave up waiting for it.",
         TRY_LATER,
         "Check the reverse proxy's timeouts and how long the enrollment service takes to "
         "answer."),

  /* ---- TLS ----------------------------------------------------------- */
  ENTRY (TLS, CRADLE_TLS_FAILURE_UNTRUSTED, "TLS_UNTRUSTED_ISSUER",
         "The server's certificate was issued by an authority this computer does not trust, so "
         "Cradle sent nothing.",
         "Ask your administrator to install your organisation's root certificate on this "
         "computer.",
         "Add the CA's root to the system trust store (update-ca-certificates) or the certificate "
         "type's trust anchors, and check that the server sends its intermediates."),
  ENTRY (TLS, CRADLE_TLS_FAILURE_EXPIRED, "TLS_CERTIFICATE_EXPIRED",
         "The server's certificate has expired or is not valid yet.",
         "Check that this computer's date and time are right; if they are, tell your "
         "administrator the server's certificate has expired.",
         "Renew the server's TLS certificate, or correct the desktop's clock."),
  ENTRY (TLS, CRADLE_TLS_FAILURE_HOSTNAME_MISMATCH, "TLS_HOSTNAME_MISMATCH",
         "The server's certificate is for another name than the address Cradle connected to.",
         "Ask your administrator to check the server address of this certificate type.",
         "Use a host name listed in the server certificate's alternative names, or reissue the "
         "certificate with the name clients use."),
  ENTRY (TLS, CRADLE_TLS_FAILURE_HANDSHAKE, "TLS_HANDSHAKE_FAILED",
         "The secure connection to the server could not be set up.",
         TRY_LATER,
         "Check the TLS versions and ciphers the server offers (openssl s_client -connect "
         "host:443); Cradle needs TLS 1.2 or later."),
  ENTRY (TLS, CRADLE_TLS_FAILURE_CLIENT_CERT_REQUIRED, "TLS_CLIENT_CERTIFICATE_REQUIRED",
         "The server asks for a client certificate, and Cradle has none to offer for this "
         "certificate type.",
         "Ask your administrator for a certificate type that uses your domain sign-in.",
         "The endpoint uses certificate authentication (authFlags 8); give first enrollments a "
         "Kerberos or username endpoint."),
  ENTRY (TLS, CRADLE_TLS_FAILURE_REVOKED, "TLS_CERTIFICATE_REVOKED",
         "The server's certificate has been revoked.",
         "Stop, and tell your administrator that the server's certificate is revoked.",
         "Replace the server's TLS certificate."),

  /* ---- what the host trusts ------------------------------------------ */
  ENTRY (TRUST, CRADLE_TRUST_FAILURE_UNTRUSTED_ROOT, "UNTRUSTED_ROOT_CA",
         "The CA's certificate chains to a root certificate this computer does not trust, so "
         "Cradle installed nothing on the device.",
         "Tell your administrator; the CA may be misconfigured, or someone may be impersonating it.",
         "The root must be published in the directory (Certification Authorities or NTAuth), in "
         "the certificate type's TrustAnchors or in the system trust store; check which root the "
         "CA's chain ends at ('cradlectl log --json' names it) and whether the endpoint is the "
         "real CA, especially over plain HTTP."),

  /* ---- getting to the server ----------------------------------------- */
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED, "CONNECTION_REFUSED",
         "The server refused the connection; nothing is listening at that address and port.",
         "Try again later; if it keeps failing, ask your administrator whether the server runs.",
         "Check that the service runs, that the port in the endpoint URL is right and that no "
         "firewall rejects it."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND, "DNS_NAME_NOT_FOUND",
         "The server's name could not be found in DNS.",
         CHECK_NETWORK,
         "Check the host name in the certificate type and the desktop's DNS settings "
         "(resolvectl query)."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_TIMED_OUT, "TIMED_OUT",
         "The server did not answer in time.",
         "Check your network connection and try again later; Cradle keeps the request.",
         "Check the network path and the server's load; a firewall that drops packets also "
         "causes this."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_RESPONSE_TOO_LARGE, "RESPONSE_TOO_LARGE",
         "The server's answer was larger than Cradle accepts, so Cradle stopped reading it.",
         REPORT,
         "Check that the endpoint URL points at the enrollment service and not at another page; "
         "Cradle caps answers to protect itself."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_PROXY, "PROXY_FAILED",
         "The proxy server could not connect Cradle to the server.",
         "Check your proxy settings, then try again.",
         "Check the proxy configuration (https_proxy, no_proxy) and that the proxy can reach "
         "the CA's host."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED, "PLAIN_HTTP_REFUSED",
         "The server's address uses plain HTTP, which Cradle refuses because requests and "
         "passwords would travel unprotected.",
         "Ask your administrator for the https:// address of this certificate type.",
         "Use an https:// endpoint, or let the administrator allow plain HTTP for this "
         "certificate type explicitly."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_NETWORK_UNREACHABLE, "NETWORK_UNREACHABLE",
         "This computer has no network route to the server.",
         CHECK_NETWORK,
         "Check the routes and the VPN configuration toward the server's address."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_CONNECTION_CLOSED, "CONNECTION_CLOSED",
         "The server closed the connection before it finished answering.",
         TRY_LATER,
         "Check the server and any proxy or load balancer in front of it for resets and "
         "timeouts."),
  ENTRY (TRANSPORT, CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE, "UNEXPECTED_RESPONSE",
         "The server's answer was not what this kind of enrollment service answers.",
         REPORT,
         "Check the endpoint URL and protocol of the certificate type; the journal "
         "('cradlectl log --json') keeps what the server said."),

  /* ---- the domain and its directory ---------------------------------- */
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_NO_DOMAIN, "DOMAIN_NOT_CONFIGURED",
         "Cradle does not know which domain to use: none is set and this computer has no "
         "Kerberos realm.",
         "Ask your administrator to join this computer to the domain, or set the domain in "
         "Cradle's settings.",
         "Set default_realm in krb5.conf (realm join does it), or [Directory] Domain= in "
         "cradle.conf, or CRADLE_DOMAIN."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_REALM_MISMATCH, "REALM_DOMAIN_MISMATCH",
         "The Kerberos realm of this computer is not the domain Cradle is set to use, so "
         "signing in to it may fail.",
         "Ask your administrator which domain this computer should use.",
         "Compare default_realm in krb5.conf with [Directory] Domain= in cradle.conf (or "
         "CRADLE_DOMAIN); a trust between them is needed if both are right."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_NO_DC_RECORDS, "DC_SRV_RECORDS_MISSING",
         "DNS does not list any domain controller for the domain.",
         CHECK_NETWORK,
         "Check that the desktop uses the domain's DNS servers (resolvectl status) and that "
         "they answer for the SRV records _ldap._tcp.dc._msdcs. followed by the domain (dig SRV); or name a controller with "
         "[Directory] DC= in cradle.conf."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE, "DC_UNREACHABLE",
         "The domain controller could not be reached: the connection was refused or did not "
         "open in time.",
         CHECK_NETWORK,
         "Check that the controller named in the check runs and that ports 389 and 636 (TCP) "
         "are open to it from this computer (nc -vz HOST 389); a controller named in the "
         "settings may be out of date."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER, "DC_LDAP_NO_ANSWER",
         "The domain controller accepted the connection but did not answer as a directory.",
         TRY_LATER,
         "Check the directory service on the controller (on Samba: samba-tool processes, the "
         "log) and anything in between that intercepts port 389 or 636."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_TLS_UNTRUSTED, "DC_TLS_UNTRUSTED",
         "No trusted TLS connection could be made to the domain controller: its certificate "
         "is not trusted by this computer, has expired or does not name it.",
         "Ask your administrator to install your organisation's root certificate on this "
         "computer.",
         "Check the controller's certificate (openssl s_client -connect HOST:636 -showcerts) "
         "against the trust store libldap uses (TLS_CACERT in ldap.conf, LDAPTLS_CACERT, or "
         "the system store), its validity and its names."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_NO_PKI, "ADCS_NOT_PUBLISHED",
         "The directory does not publish what certificate enrollment needs (its certificate "
         "templates or its certification authorities).",
         "Ask your administrator; certificate enrollment is not set up in this domain.",
         "Check CN=Public Key Services,CN=Services in the configuration partition: Certificate "
         "Templates and Enrollment Services must exist and hold the templates and the "
         "enterprise CA (certutil -dsTemplate, certutil -CAInfo), and users must be able to read them."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_NTAUTH_EMPTY, "NTAUTH_STORE_EMPTY",
         "The domain does not list any CA as trusted for signing in with a certificate, so "
         "sign-in certificates will not work.",
         "Ask your administrator if you need a certificate to sign in with.",
         "Publish the issuing CA in NTAuthCertificates (certutil -dspublish -f ca.cer NTAuthCA); "
         "certificates for other uses are not affected."),
  ENTRY (DIRECTORY, CRADLE_DIRECTORY_FAILURE_CATALOG_PROBLEMS, "CATALOG_PROBLEMS",
         "Some certificate templates or CAs in the directory could not be read, so Cradle "
         "left them out.",
         "Ask your administrator if a certificate type you need is missing.",
         "The check lists each template or CA left out and why; fix or remove the damaged "
         "objects under CN=Public Key Services."),

  /* ---- Kerberos ------------------------------------------------------ */
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_NO_TICKET, "KRB5_FCC_NOFILE",
         "You are not signed in to the domain: there is no Kerberos ticket for your account.",
         SIGN_IN_AGAIN,
         "Check with klist that the user's credential cache holds a ticket-granting ticket, "
         "and that KRB5CCNAME points to it."),
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_TICKET_EXPIRED, "KRB5KRB_AP_ERR_TKT_EXPIRED",
         "Your domain sign-in (Kerberos ticket) has expired.",
         SIGN_IN_AGAIN,
         "Check that tickets are renewed (sssd or the desktop's renewal service) and the "
         "realm's ticket lifetimes."),
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE, "KRB5_KDC_UNREACH",
         "No domain controller answered Kerberos requests.",
         CHECK_NETWORK,
         "Check the realm's KDCs in krb5.conf or DNS (_kerberos._udp and _kerberos._tcp SRV "
         "records) and that port 88 is reachable."),
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_SERVER_UNKNOWN, "KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN",
         "The domain does not know the server's Kerberos name, so Cradle cannot sign in to it.",
         "Ask your administrator; the server is not registered for domain sign-in under the "
         "name Cradle used.",
         "Register the service principal name HTTP/ followed by the server's host name on the "
         "account that runs the service (setspn -S), and use that host name in the URL."),
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW, "KRB5KRB_AP_ERR_SKEW",
         "This computer's clock differs from the domain's; past five minutes, Kerberos refuses "
         "to work.",
         "Set this computer's date and time right (turn on automatic time), then try again.",
         "Kerberos allows five minutes of skew by default; check time synchronisation on the "
         "desktop (timedatectl status, chronyc tracking) and the domain controllers."),
  ENTRY (KERBEROS, CRADLE_KERBEROS_FAILURE_PREAUTH_FAILED, "KRB5KDC_ERR_PREAUTH_FAILED",
         "The domain did not accept the password.",
         "Check your password and try again; after several failures your account may be locked.",
         "Check the account for lockout and password expiry; the KDC refused pre-authentication."),

  /* ---- the device, as the diagnosis finds it ------------------------- */
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_NONE_FOUND, "DEVICE_NOT_FOUND",
         "No device running the Cradle agent is connected to this computer, or none is the one "
         "asked for.",
         "Connect the device with its cable, unlock it and start its Cradle agent, then run the "
         "checks again.",
         "Check that 'cradlectl devices' lists it: over USB it presents the interface 0xFF/0x43/0x01 "
         "and needs the udev rule; a simulated device listens in $XDG_RUNTIME_DIR/cradle/devices."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_NOT_ANSWERING, "DEVICE_NOT_ANSWERING",
         "The device is connected but did not answer in time.",
         "Unlock the device and check that its Cradle agent is running, then run the checks again.",
         "The agent may be stopped, hung or asleep; restart it on the device, or unplug and "
         "reconnect the device, and check the cable."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_BUSY, "DEVICE_BUSY",
         "The device is serving another program: it serves one session at a time.",
         "Close other Cradle windows and commands that use the device, then run the checks again.",
         "Look for another cradle or cradlectl process holding the device; an idle session is "
         "closed after two minutes when another program waits."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_AGENT_TOO_OLD, "DEVICE_AGENT_TOO_OLD",
         "The Cradle agent on the device does not speak this desktop's version of the bridge "
         "protocol.",
         "Update the Cradle agent on the device, or Cradle on this computer, so that both match.",
         "Compare the protocol and agent versions in the device checks with this Cradle's; "
         "pairing needs an agent whose greeting carries a session nonce."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_NOT_PAIRED, "DEVICE_NOT_PAIRED",
         "This computer is not paired with the device, so the device will not use its keys or "
         "stores for it.",
         "Pair it: run 'cradlectl certs' or start an enrollment in the app, and accept 'Trust this "
         "computer' on the device when both screens show the same code.",
         "Pairing is per user of this computer; the pins are kept in the user's state folder "
         "(paired-devices) and 'cradlectl devices' says whether a device is paired."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_HOST_FORGOTTEN, "DEVICE_FORGOT_HOST",
         "The device no longer trusts this computer: it was forgotten on the device, or not used "
         "for longer than the device keeps computers it trusts.",
         "Pair it again: run 'cradlectl certs' or start an enrollment in the app, and accept 'Trust "
         "this computer' on the device when both screens show the same code.",
         "On the device, 'cradle-agent --list-hosts' shows the computers it trusts; a computer "
         "unused for --host-expiry-days (30 by default) is dropped."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_IDENTITY_CHANGED, "DEVICE_IDENTITY_CHANGED",
         "The device presents another identity key than the one this computer pinned when it "
         "paired a device with that serial: it may be a different device pretending to be it.",
         "Do not use the device until it is checked; if it was reset, forget it ('cradlectl "
         "devices --forget SERIAL') and pair it again.",
         "A reset device makes a new identity key; anything else that changes the key is a "
         "stand-in. Check the device before forgetting its pin."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_NO_KEY_TYPES, "DEVICE_NO_KEY_TYPES",
         "The device says it can make no key at all, so it cannot enroll.",
         "Update the Cradle agent on the device, or ask your administrator which devices Cradle "
         "supports.",
         "GET_INFO key 6 lists the key types the agent makes (rsa2048, rsa3072, rsa4096, p256, "
         "p384); an empty list is an agent fault."),
  ENTRY (DEVICE, CRADLE_DEVICE_FAILURE_STORES_FULL, "DEVICE_STORES_FULL",
         "The device's certificate stores are full or nearly full, so a new certificate and its "
         "chain may not fit.",
         "Remove certificates the device no longer needs ('cradlectl certs remove CERT'), then try "
         "again.",
         "One listing of a device's stores carries at most 1,024 certificates and 256 KiB, and the "
         "reference agent holds no more; 'cradlectl certs' lists them, expired and replaced ones "
         "first to go."),

  /* ---- will the certificate work (found before it is requested) ----- */
  ENTRY (CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING, "KB5014754_NO_STRONG_MAPPING",
         "The certificate could sign in to the domain, but it will carry neither your SID "
         "(extension 1.3.6.1.4.1.311.25.2) nor the SAN URL with it, so domain controllers that "
         "enforce strong mapping (KB5014754) will refuse it for sign-in.",
         "Ask your administrator for a certificate type whose subject the CA builds from the "
         "directory, or to map the certificate to your account.",
         "Clear msPKI-Enrollment-Flag 0x80000 (no security extension) on the template, use a "
         "template that builds the subject from AD, or add an explicit strong mapping "
         "(altSecurityIdentities: X509IssuerSerialNumber, X509SKI or X509SHA1PublicKey)."),
  ENTRY (CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_NO_DIGITAL_SIGNATURE, "SIGN_IN_WITHOUT_DIGITAL_SIGNATURE",
         "The certificate is meant to sign in, but its key usage does not allow signing, which "
         "TLS and Kerberos sign-in need.",
         ASK_ADMIN_TYPE,
         "Add digital signature to the template's key usage (pKIKeyUsage), or remove the client "
         "authentication and smart card logon usages."),
  ENTRY (CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_KEY_TYPE_NOT_MADE, "DEVICE_KEY_TYPE_MISSING",
         "The device cannot make the kind of key this certificate type needs.",
         "Update the Cradle agent on the device, or ask your administrator for a certificate type "
         "with a key the device makes.",
         "Compare the template's key (msPKI-Minimal-Key-Size, the CNG algorithm) with the key types "
         "'cradlectl devices --json' lists for the device."),
  ENTRY (CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_CA_ENDING, "CA_CERTIFICATE_ENDING",
         "The CA's own certificate ends soon; certificates it issues cannot outlive it.",
         "Tell your administrator; the CA's certificate needs renewing.",
         "Renew the CA certificate (certutil -renewCert) and publish the new one to the directory "
         "and AIA before the old one ends."),
  ENTRY (CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_CRL_OUT_OF_DATE, "CRL_OUT_OF_DATE",
         "The CA's revocation list is past its next update, so services that check revocation "
         "(802.1X, VPN, smart card logon) will refuse the CA's certificates.",
         "Tell your administrator; the CA has stopped publishing its revocation list.",
         "Check that the CA service runs and publishes its CRL (certutil -CRL) to every CDP "
         "location, and the CRL period and overlap."),

  /* ---- hardware tokens and smart cards (PKCS#11) --------------------- */
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_PIN_REQUIRED, "TOKEN_PIN_REQUIRED",
         "The token's key was needed before its PIN was given, so nothing was done with it.",
         "Enter the token's PIN when Cradle asks (cradlectl: --pin-file FILE, or type it when "
         "asked), then try again.",
         "Tokens with CKF_LOGIN_REQUIRED show their private keys only after C_Login; Cradle asks "
         "for the PIN before it makes a key. 'cradlectl devices --json' shows the PIN state."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_PIN_INCORRECT, "TOKEN_PIN_INCORRECT",
         "The token did not accept the PIN.",
         "Check the PIN and try again; each wrong PIN counts towards locking the token.",
         "The module answered CKR_PIN_INCORRECT. The token's own tools show how many tries are "
         "left (for a YubiKey: ykman piv info)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW, "TOKEN_PIN_COUNT_LOW",
         "The token did not accept the PIN, and it says few tries are left before it locks.",
         "Make sure you have the right PIN before you try again; if you are not sure, ask your "
         "administrator first.",
         "The token set CKF_USER_PIN_COUNT_LOW. If the PIN is lost, reset it with the officer's "
         "PIN or PUK before it locks (pkcs11-tool --init-pin --login-type so)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY, "TOKEN_PIN_FINAL_TRY",
         "The token did not accept the PIN, and one more wrong PIN locks it.",
         "Do not try again unless you are sure of the PIN; ask your administrator to reset it "
         "instead.",
         "The token set CKF_USER_PIN_FINAL_TRY. Reset the PIN with the officer's PIN or PUK now "
         "(pkcs11-tool --init-pin --login-type so, or the vendor's tool)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_PIN_LOCKED, "TOKEN_PIN_LOCKED",
         "The token's PIN is locked after too many wrong tries; Cradle did not try it again.",
         "Ask your administrator to unlock the token; only its officer (the PUK or security "
         "officer PIN) can.",
         "The token shows CKF_USER_PIN_LOCKED. Unlock it with the officer's PIN or PUK "
         "(pkcs11-tool --init-pin --login-type so; for a YubiKey: ykman piv access unblock-pin); "
         "if the PUK is locked too, the PIV application must be reset, which destroys its keys."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_TOKEN_REMOVED, "TOKEN_REMOVED",
         "The token was removed, or stopped answering, while Cradle was using it.",
         "Insert the token again and keep it in until Cradle is done, then try again.",
         "The module answered CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR or a "
         "closed session. A key made before it left stays on the token; 'cradlectl certs' and "
         "the journal show what the run did ('cradlectl log')."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED, "TOKEN_KEY_TYPE_NOT_OFFERED",
         "The token cannot make the kind of key this certificate type needs, so nothing was "
         "made on it.",
         "Use another token, or ask your administrator for a certificate type with a key the token "
         "makes.",
         "Compare the type's key with the key types 'cradlectl devices --json' lists for the token "
         "(from its CKM_RSA_PKCS_KEY_PAIR_GEN and CKM_EC_KEY_PAIR_GEN key sizes)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_WRITE_PROTECTED, "TOKEN_WRITE_PROTECTED",
         "The token is write-protected, so no key or certificate can be put on it.",
         "Use another token, or ask your administrator to make this one writable.",
         "The token shows CKF_WRITE_PROTECTED (a read-only card, or a module that writes nothing, "
         "such as OpenSC's PIV driver); its vendor's tool may write to it."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_TOKEN_FULL, "TOKEN_FULL",
         "The token has no room left for another key or certificate.",
         "Remove keys or certificates the token no longer needs ('cradlectl certs remove CERT'), "
         "then try again.",
         "The module answered CKR_DEVICE_MEMORY; list the token's objects with "
         "'pkcs11-tool --list-objects --login' and remove old ones."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_OFFICER_REQUIRED, "TOKEN_OFFICER_REQUIRED",
         "Making a key or writing a certificate on this token needs its officer's login (on a "
         "PIV token, the management key) besides the PIN.",
         "Enter the officer's secret when Cradle asks for it, or ask your administrator to enroll "
         "the token.",
         "Yubico's ykcs11 answers CKR_USER_TYPE_INVALID without C_Login (CKU_SO) with the PIV management "
         "key; Cradle logs in as the officer only for that step and keeps the secret in wiped "
         "memory."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_NO_AUTHORITY_OBJECTS, "TOKEN_NO_AUTHORITY_OBJECTS",
         "The token cannot hold CA or root certificates (a PIV token holds certificates only in "
         "its key slots), so the chain stays on this computer.",
         "Nothing to do: the certificate is on the token; the chain is kept on this computer.",
         "PIV modules refuse CKA_CERTIFICATE_CATEGORY and free certificate objects; put the CA "
         "certificates where the relying software reads them (the system trust store)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING, "TOKEN_ATTESTATION_MISSING",
         "The certificate type requires proof that the key was made on the token (an attestation), "
         "and the token offers none, so nothing was sent to the CA.",
         "Use a token that attests its keys (such as a YubiKey 4.3 or later), or ask your "
         "administrator for a certificate type without attestation.",
         "The type says Attestation=require; the token shows no attestation certificate for the "
         "key (ykcs11 offers one per PIV slot, signed by the slot f9 key). Imported keys are never "
         "attested."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS, "TOKEN_ATTESTATION_NO_ROOTS",
         "The certificate type asks for the key's attestation to be checked, but this computer "
         "has no token vendor roots to check it against.",
         "Ask your administrator to set up the token vendors' roots for Cradle.",
         "Set [Tokens] AttestationRoots= in cradle.conf to a PEM file of the vendors' attestation "
         "roots (for YubiKeys, Yubico's PIV CA)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED, "TOKEN_ATTESTATION_UNTRUSTED",
         "The token's attestation does not lead to a vendor root this computer trusts, so the key "
         "cannot be shown to have been made on a genuine token.",
         "Use a genuine token from a vendor your organisation supports, or tell your "
         "administrator.",
         "Check the attestation chain (attestation, slot f9 certificate) against [Tokens] "
         "AttestationRoots=; the f9 key may have been replaced, or the vendor root is missing "
         "(YubiKeys from firmware 5.7.4 chain to a newer Yubico root)."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_ATTESTATION_WRONG_KEY, "TOKEN_ATTESTATION_WRONG_KEY",
         "The token's attestation is for another key than the one it made for this request, so "
         "nothing was sent to the CA.",
         "Remove and insert the token, then try again; if it happens again, do not use the token "
         "and tell your administrator.",
         "The attestation's subject public key differs from the key's; the token may be faulty or "
         "not what it claims to be."),
  ENTRY (TOKEN, CRADLE_TOKEN_FAILURE_MODULE, "TOKEN_MODULE_FAILED",
         "The token's software (its PKCS#11 module) failed.",
         "Remove and insert the token, then try again; if it keeps failing, "
         "report it to support with the output of 'cradlectl log'.",
         "The error names the module and its CK_RV; run with G_MESSAGES_DEBUG=all, or set "
         "log-calls: yes in the module's p11-kit config, to see the calls."),

  /* ---- each CradleError, when nothing more precise is known ---------- */
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_FAILED, "failed",
           "Something went wrong that Cradle has no better description for.",
           REPORT,
           "Read the error message and the journal ('cradlectl log --json') for the step that "
           "failed."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "not-found",
           "Something Cradle looked for does not exist.",
           "Check the names you gave, then try again.",
           "The error message names what is missing; check the directory, the device or the "
           "configuration for it."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED, "not-supported",
           "The server, the device or this version of Cradle cannot do what was asked.",
           "Ask your administrator for a certificate type this device and server support.",
           "The error message names the part that lacks the feature; compare versions and "
           "capabilities."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "invalid-data",
           "Data from a server, the directory or the device was malformed.",
           REPORT,
           "Find the peer named in the error message and what it sent in the journal "
           "('cradlectl log --json')."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT, "timed-out",
           "A server or the device did not answer in time.",
           "Check the connection and try again later.",
           "Check the network path to the peer named in the error message and its load."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_BUSY, "busy",
           "What Cradle needs is in use by another program.",
           "Close other Cradle windows and commands, then try again.",
           "Look for another cradle or cradlectl process holding the device or the request "
           "database."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED, "permission-denied",
           "Your account is not allowed to do this.",
           "Ask your administrator for the permission this needs.",
           "The error message names the object; check its access rights for the user."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED, "auth-failed",
           "Your credentials are missing, expired or wrong.",
           SIGN_IN_AGAIN,
           "Check the user's tickets with klist and the account's state in the directory."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE, "unreachable",
           "A server could not be reached.",
           CHECK_NETWORK,
           "Check DNS, routes and firewalls toward the server named in the error message."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED, "not-configured",
           "Settings Cradle needs are missing.",
           "Ask your administrator to set up the domain or the certificate type.",
           "The error message names the missing setting; check /etc/cradle and the user's "
           "configuration folder."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE, "device-gone",
           "The device was unplugged or stopped answering.",
           "Connect the device again and keep it unlocked; Cradle goes on where it stopped.",
           "Check the cable, that 'cradlectl devices' lists the device and that its agent runs."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED, "user-declined",
           "Someone declined on the device.",
           "Start again, and accept on the device if you want the certificate.",
           "Nothing is broken; the request was declined on the device."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_CA_DENIED, "ca-denied",
           "The certification authority refused the request.",
           "Ask your administrator why the request was refused before you try again.",
           "The CA's code in the error message says why; look the request up among the CA's "
           "failed requests."),
  GENERIC (CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED, "not-paired",
           "The device does not trust this computer, or it is not the device this computer "
           "paired with.",
           "Pair the device: start again and accept 'Trust this computer' on the device when "
           "both screens show the same code. If this is a device you reset, forget it first "
           "('cradlectl devices --forget SERIAL').",
           "A device that answers with another identity key than the one pinned at pairing may "
           "be a stand-in: check the device before forgetting it ('cradlectl log --json')."),
};

const CradleExplanation *
cradle_explain_get_table (gsize *n_entries)
{
  *n_entries = G_N_ELEMENTS (table);
  return table;
}
