/** One attached file of {@link mailWithAttachments}. */
export interface AttachedFile {
  readonly name: string
  readonly bytes: Buffer
  /** Default `application/octet-stream`. */
  readonly type?: string
}

/**
 * A CRM message from dana@acme.vc (the test directory's fund) with a short text part and the
 * given files as base64 attachments, in lines of 76 characters as mailers write them.
 */
export function mailWithAttachments(options: { to: string; messageId: string; date: Date; subject?: string; text?: string; files: readonly AttachedFile[] }): string {
  const parts = options.files.flatMap((file) => [
    '--b',
    `Content-Type: ${file.type ?? 'application/octet-stream'}; name="${file.name}"`,
    `Content-Disposition: attachment; filename="${file.name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    file.bytes.toString('base64').replace(/.{76}/g, '$&\r\n'),
  ])
  return [
    'From: Dana <dana@acme.vc>',
    `To: ${options.to}`,
    `Subject: ${options.subject ?? 'Files'}`,
    `Date: ${options.date.toUTCString()}`,
    `Message-ID: <${options.messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.text ?? 'See attached.',
    ...parts,
    '--b--',
    '',
  ].join('\r\n')
}
