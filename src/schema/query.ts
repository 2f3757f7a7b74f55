import { builder } from './builder.js';

builder.queryType({
  description: 'Fine-tuning jobs of Alibaba Cloud Model Studio (DashScope), read through this gateway.',
});
