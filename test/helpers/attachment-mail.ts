/** One attached file of {@link mailWithAttachments}. */
export interface AttachedFile {
  readonly name: string
  readonly bytes: Buffer
  /** Default `application/octet-stream`. */
  readonly type?: string
}

/** The Content-Type and Content-Disposition lines of an attached file, by how its name is written. */
const NAMED_HEADERS = {
  quoted: (file: AttachedFile) => [`Content-Type: ${file.type ?? 'application/octet-stream'}; name="${file.name}"`, `Content-Disposition: attachment; filename="${file.name}"`],
  // Percent-encoded UTF-8 carries any name through transport: quotes, line breaks, any script.
  rfc2231: (file: AttachedFile) => [
    `Content-Type: ${file.type ?? 'application/octet-stream'}`,
    `Content-Disposition: attachment; filename*=UTF-8''${[...Buffer.from(file.name, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`,
  ],
}

/**
 * A CRM message from dana@acme.vc (the test directory's fund) with a short text part and the
 * given files as base64 attachments, in lines of 76 characters as mailers write them. Names are
 * quoted, or given in RFC 2231 form (`names: 'rfc2231'`), so that any name survives transport.
 */
export function mailWithAttachments(options: {
  to: string
  messageId: string
  date: Date
  subject?: string
  text?: string
  names?: keyof typeof NAMED_HEADERS
  files: readonly AttachedFile[]
}): string {
  const parts = options.files.flatMap((file) => [
    '--b',
    ...NAMED_HEADERS[options.names ?? 'quoted'](file),
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
