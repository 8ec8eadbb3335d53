// Keeps ONE pull-request comment with the latest `dagger call plan` summary, updated in place on every push.
//
// Used by .github/workflows/pr.yml through actions/github-script:
//   const planComment = require(`${process.env.GITHUB_WORKSPACE}/.github/scripts/plan-comment.js`);
//   await planComment.run({ github, context, core });
// Inputs come from the environment: PLAN_FILE (the Markdown the plan printed), PLAN_OUTCOME (the plan step's
// outcome: success, failure, cancelled).
//
// The comment is found by MARKER, a hidden HTML comment at its start. GitHub refuses comment bodies longer than
// 65 536 characters, so long plans are cut on a line boundary, an open code fence is closed, and a note says how
// much was left out and where the full plan is (the job summary of the run).
'use strict';

const fs = require('fs');

/** Hidden marker that identifies the plan comment among all comments of a pull request. */
const MARKER = '<!-- bookme-plan -->';

/** GitHub's limit for an issue or pull-request comment body, in characters. */
const GITHUB_COMMENT_LIMIT = 65536;

/**
 * Cuts text to at most `limit` characters (JavaScript string length, i.e. UTF-16 code units, which is never
 * less than GitHub's character count) on a line boundary.
 * Returns { text, truncated, shownLines, totalLines }.
 */
function truncateOnLine(text, limit) {
  const totalLines = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
  if (text.length <= limit) {
    return { text, truncated: false, shownLines: totalLines, totalLines };
  }
  let cut = text.lastIndexOf('\n', limit - 1);
  // No newline in range (one enormous line): cut hard, but never inside a surrogate pair.
  if (cut <= 0) {
    cut = limit;
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    const kept = text.slice(0, cut);
    return { text: kept, truncated: true, shownLines: 0, totalLines };
  }
  const kept = text.slice(0, cut + 1);
  return { text: kept, truncated: true, shownLines: kept.split('\n').length - 1, totalLines };
}

/** Counts the lines that open or close a Markdown code fence (``` or ~~~). */
function fenceCount(text) {
  return text.split('\n').filter((l) => /^\s*(```|~~~)/.test(l)).length;
}

/**
 * Builds the full comment body: marker, heading, the plan (truncated when needed) and a footer.
 * `meta` = { outcome, runUrl, sha, limit } (limit defaults to GitHub's comment limit).
 * Returns { body, truncated }; the body is always at most `limit` characters.
 */
function renderComment(plan, meta) {
  const limit = meta.limit || GITHUB_COMMENT_LIMIT;
  const outcome = meta.outcome || 'success';
  const head = [MARKER, '### bookme plan' + (meta.sha ? ' for `' + meta.sha.slice(0, 12) + '`' : ''), ''];
  if (outcome !== 'success') {
    head.push(':x: The plan step ended with **' + outcome + '**; see the run log' +
      (meta.runUrl ? ': ' + meta.runUrl : '.'), '');
  }
  const header = head.join('\n') + '\n';
  const footer = '\n---\n_Updated by the `pr` workflow' + (meta.runUrl ? ' ([run](' + meta.runUrl + '))' : '') + '._\n';
  let body = (plan || '').replace(/\r\n/g, '\n');
  if (body.trim() === '') body = '_The plan printed nothing._\n';
  if (!body.endsWith('\n')) body += '\n';

  // Room for the plan itself: everything else, plus the longest possible truncation note and a closing fence.
  const noteTemplate = '\n```\n\n> :warning: Truncated: showing 0000000 of 0000000 lines (GitHub comment limit). ' +
    'The full plan is in the job summary' + (meta.runUrl ? ' of ' + meta.runUrl : '') + '.\n';
  const budget = limit - header.length - footer.length - noteTemplate.length;
  if (budget <= 0) throw new Error('comment limit ' + limit + ' is too small for the header and footer');

  const cut = truncateOnLine(body, budget);
  if (!cut.truncated) return { body: header + body + footer, truncated: false };

  let shown = cut.text;
  if (!shown.endsWith('\n')) shown += '\n';
  if (fenceCount(shown) % 2 === 1) shown += '```\n';
  const note = '\n> :warning: Truncated: showing ' + cut.shownLines + ' of ' + cut.totalLines +
    ' lines (GitHub comment limit). The full plan is in the job summary' +
    (meta.runUrl ? ' of ' + meta.runUrl : '') + '.\n';
  return { body: header + shown + note + footer, truncated: true };
}

/** Finds the existing plan comment (the first one whose body starts with MARKER), or undefined. */
async function findComment(github, owner, repo, issueNumber) {
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number: issueNumber, per_page: 100,
  });
  return comments.find((c) => typeof c.body === 'string' && c.body.startsWith(MARKER));
}

/**
 * Creates or updates the plan comment of the current pull request.
 * Returns { action: 'created' | 'updated', id, length, truncated }.
 */
async function run({ github, context, core }) {
  const planFile = process.env.PLAN_FILE;
  const outcome = process.env.PLAN_OUTCOME || 'success';
  let plan = '';
  if (planFile && fs.existsSync(planFile)) plan = fs.readFileSync(planFile, 'utf8');

  const pr = context.payload.pull_request;
  if (!pr) throw new Error('plan-comment: not a pull_request event; run it from the pr workflow');
  const { owner, repo } = context.repo;
  const runUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const { body, truncated } = renderComment(plan, { outcome, runUrl, sha: pr.head && pr.head.sha });

  const existing = await findComment(github, owner, repo, pr.number);
  let result;
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    result = { action: 'updated', id: existing.id, length: body.length, truncated };
  } else {
    const created = await github.rest.issues.createComment({ owner, repo, issue_number: pr.number, body });
    result = { action: 'created', id: created.data.id, length: body.length, truncated };
  }
  if (core) core.info(`plan comment ${result.action} (id ${result.id}, ${result.length} characters${truncated ? ', truncated' : ''})`);
  return result;
}

module.exports = { MARKER, GITHUB_COMMENT_LIMIT, truncateOnLine, renderComment, findComment, run };
