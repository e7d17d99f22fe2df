import { buildMessage } from './message.js'

/** One attached file of {@link mailWithAttachments}. */
export interface AttachedFile {
  readonly name: string
  readonly bytes: Buffer
  /** Default `application/octet-stream`. */
  readonly type?: string
}

/**
 * A CRM message from dana@acme.vc (the test directory's fund) with a short text part and the
 * given files as base64 attachments, in lines of 76 characters as mailers write them. Names are
 * quoted, or given in RFC 2231 form (`names: 'rfc2231'`), so that any name survives transport.
 *
 * @example
 * emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId: 'files@acme.vc', date: new Date(), files: [{ name: 'a.pdf', bytes }] }))
 */
export function mailWithAttachments(options: {
  to: string
  messageId: string
  date: Date
  subject?: string
  text?: string
  names?: 'quoted' | 'rfc2231'
  files: readonly AttachedFile[]
}): string {
  return buildMessage({
    from: 'Dana <dana@acme.vc>',
    to: options.to,
    subject: options.subject ?? 'Files',
    date: options.date,
    messageId: options.messageId,
    boundary: options.messageId,
    text: options.text ?? 'See attached.',
    attachments: options.files.map((file) => ({
      filename: file.name,
      content: file.bytes,
      names: options.names ?? 'quoted',
      ...(file.type === undefined ? {} : { contentType: file.type }),
    })),
  })
}
